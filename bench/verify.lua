-- wrk script for POST /login/trezor/verify: each request uses the next prepared line
-- (cookie <TAB> CSRF token <TAB> JSON body) of the file given after `--`; each line signs in once.
-- Threads take every n-th line, so no two requests reuse one.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local total = tonumber(args[2])
  fixtures = {}
  local index = 0
  for line in io.lines(args[1]) do
    if index % total == id then table.insert(fixtures, line) end
    index = index + 1
  end
  position = 0
end

function request()
  position = position + 1
  -- Past the end, the last line again: the server refuses it, and wrk counts the error.
  local line = fixtures[math.min(position, #fixtures)]
  local cookie, token, body = line:match("([^\t]*)\t([^\t]*)\t(.*)")
  return wrk.format("POST", "/login/trezor/verify", {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "vestibule_session=" .. cookie,
    ["X-CSRF-Token"] = token,
  }, body)
end
