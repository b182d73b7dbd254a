// Single-thread read bandwidth (AVX-512 loads) over a buffer of SIZE MB, best of 15 passes (BENCHMARKS.md §6, the MAF single-row bound).
// gcc -O2 -march=native -o /tmp/read_bw scripts/bench/read_bw.c && for mb in 0.5 1 3 5.5 64; do /tmp/read_bw $mb; done
// single-thread read bandwidth over a buffer of the given size (MB), best of several passes
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <immintrin.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  double mb=atof(argv[1]); size_t n=(size_t)(mb*1024*1024/4);
  float*a=aligned_alloc(64,n*4); for(size_t i=0;i<n;i++)a[i]=(float)(i%7);
  double best=1e9; __m512 s0=_mm512_setzero_ps(),s1=s0,s2=s0,s3=s0;
  int reps=(int)(2000/mb)+1;
  for(int p=0;p<15;p++){ double t=now();
    for(int r=0;r<reps;r++) for(size_t i=0;i<n;i+=64){ s0=_mm512_add_ps(s0,_mm512_load_ps(a+i)); s1=_mm512_add_ps(s1,_mm512_load_ps(a+i+16)); s2=_mm512_add_ps(s2,_mm512_load_ps(a+i+32)); s3=_mm512_add_ps(s3,_mm512_load_ps(a+i+48)); }
    double dt=(now()-t)/reps; if(dt<best)best=dt; }
  float out[16]; _mm512_storeu_ps(out,_mm512_add_ps(_mm512_add_ps(s0,s1),_mm512_add_ps(s2,s3)));
  printf("size %.2f MB: best %.1f us per pass, %.1f GB/s (sink %g)\n",mb,best*1e6,n*4/best/1e9,out[0]);
}
