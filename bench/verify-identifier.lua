-- wrk script for POST /api/v1/sites/{secretId}/verify-identifier: the customer site's check at
-- every support login (each one recorded). Arguments after `--`: public key, secret id.
function init(args)
  public_key = args[1]
  path = "/api/v1/sites/" .. args[2] .. "/verify-identifier"
end

function request()
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Authorization"] = "Bearer " .. public_key,
  }, '{"timestamp":' .. os.time() .. ',"user_agent":"Mozilla\\/5.0","user_ip":"","site_url":"https:\\/\\/customer.example\\/wp"}')
end
