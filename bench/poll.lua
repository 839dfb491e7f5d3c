-- wrk script for POST /login/trustee/poll on one pending attempt, as the page's script polls it.
-- Arguments after `--`: the visitor's Cookie header, its CSRF token, the attempt's id.
function init(args)
  cookie, token, attempt = args[1], args[2], args[3]
end

function request()
  return wrk.format("POST", "/login/trustee/poll", {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Cookie"] = cookie,
    ["X-CSRF-Token"] = token,
  }, '{"attempt":"' .. attempt .. '"}')
end
