-- wrk script for POST /api/v1/sites (the client SDK's grant, and its extension): each request
-- grants or extends one of 1000 secret ids, so after the first thousand most are extensions.
-- Arguments after `--`: the team's public key.
function init(args)
  public_key = args[1]
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

local function hex(bytes)
  local out = {}
  for i = 1, bytes do out[i] = string.format("%02x", math.random(0, 255)) end
  return table.concat(out)
end

function request()
  local secret = string.format("%032x", math.random(1, 1000))
  local body = '{"secretId":"' .. secret .. '","identifier":"' .. string.rep("A", 192) ..
    '","siteUrl":"https:\\/\\/customer.example\\/wp","publicKey":"' .. public_key ..
    '","accessKey":"' .. string.rep("a", 64) .. '","wpUserId":1,"expiresAt":' .. (os.time() + 86400) ..
    ',"version":"1.10.1","nonce":"' .. hex(24) .. '","clientPublicKey":"' .. hex(32) .. '","metaData":[]}'
  return wrk.format("POST", "/api/v1/sites", {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Authorization"] = "Bearer " .. public_key,
  }, body)
end
