-- wrk script: POST the body read from $WRK_BODY with the content type in $WRK_TYPE (binary bodies cannot go on a command line)
local f = assert(io.open(os.getenv("WRK_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("WRK_TYPE")
-- any non-200 answer is counted by wrk as "Non-2xx or 3xx responses" and printed
