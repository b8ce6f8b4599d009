-- Emergency-vehicle pre-emption: an ambulance crosses an arterial of four
-- signalized junctions with busy cross streets, with and without pre-emption,
-- as two identical copies side by side in one network meeting the same demand
-- in the same run (uniformly spaced flows, no random draws):
--   copy P: controllers/preemption.lua on every light, fed by emergency
--           detectors (priority-request receivers) on every incoming lane;
--   copy N: the lights' own fixed-time plan only.
-- An ambulance (class emergency: it treats a red as a give-way sign, but not
-- the queue in front of it) leaves west to east every 300 s in each copy.
--   citylab run scenarios/emergency.lua
-- KPIs: the ambulances' mean travel time per copy; check: shorter with
-- pre-emption, and every light back on its plan at the end.
local tb = require("signal_testbed")
local until_s = 1500
city.config{ dt_ms = 500, until_s = until_s, name = "emergency" }

local copies = { "P", "N" }
local net = tb.grids{ copies = copies, nx = 4, ny = 1, spacing = 250, entry = 400, gap = 600 }
city.road.vtype{ id = "ambulance", class = "emergency", max_speed = 25, speed_factor = 1.3 }
local departs = {}
for _, c in ipairs(copies) do
  local east
  for k, line in ipairs(net[c].lines) do
    city.road.flow{ id = string.format("%s.%s%d", c, line.axis, k), from = line.from, to = line.to, begin = 0,
                    ["end"] = until_s, rate = line.axis == "ns" and 600 or 700 }
    if line.axis == "we" and not east then east = line end
  end
  for k = 1, 4 do
    local id = string.format("%s.amb%d", c, k)
    departs[id] = 300 * k - 100
    city.road.trip{ id = id, type = "ambulance", depart = departs[id], from = east.from, to = east.to }
  end
end

-- Pre-emption on copy P: an emergency detector on every incoming lane of each light.
local function receiver(lane) return { kind = "emergency", quantity = "count", lane = lane, period_s = 1 } end
for _, light in ipairs(net.P.lights) do
  local params, sensors = tb.approach_wiring(light, "ev.", receiver)
  tb.attach(light, { file = "controllers/preemption.lua", name = "pe." .. light, params = params,
                     extra = { hold = 4 }, sensors = sensors })
end

local travel = tb.trip_timer(departs, 1)
local function mean(c)
  local sum, n = 0, 0
  for k = 1, 4 do
    local t = travel(string.format("%s.amb%d", c, k))
    if t then sum, n = sum + t, n + 1 end
  end
  return n > 0 and sum / n or nil, n
end
city.kpi("ambulance_time_preempt_s", function() return mean("P") or -1 end)
city.kpi("ambulance_time_plan_s", function() return mean("N") or -1 end)
city.check("preemption_shortens_ambulance_trip", function()
  local p, np = mean("P")
  local b, nb = mean("N")
  if np < 4 or nb < 4 then return false, string.format("%d and %d of 4 ambulances arrived", np, nb) end
  return p < b, string.format("mean ambulance travel time: %.1f s with pre-emption, %.1f s without", p, b)
end, { whole_run = true })
city.check("released_to_plan", function()
  for _, light in ipairs(net.P.lights) do
    local st = city.control.status("sig." .. light)
    if st.value ~= -1 then return false, light .. " still held at phase " .. st.value end
  end
  return true, "every light back on its plan"
end, { whole_run = true })
