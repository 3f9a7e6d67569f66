-- POST /api/usage with a fresh idempotency key per request (thread number + counter), the way k6 posts it.
-- API_KEY, CUSTOMER_ID and METER_CODE come from the environment; the URL is wrk's argument. There is no
-- response() callback on purpose: it makes wrk parse every body, and this script measures the ceiling. wrk's
-- own "Non-2xx or 3xx responses" line reports refusals.
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("API_KEY")
  wrk.headers["Content-Type"] = "application/json"
  prefix = string.format(
    '{"customer_id":"%s","meter_code":"%s","value":1,"recorded_at":"%s","idempotency_key":"wrk-%d-',
    os.getenv("CUSTOMER_ID"), os.getenv("METER_CODE"), os.date("!%Y-%m-%dT%H:%M:%SZ"), tid)
  counter = 0
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, prefix .. counter .. '"}')
end
