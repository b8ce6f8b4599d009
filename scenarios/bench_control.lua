-- The in-process control benchmark's scenario (scripts/bench_control_inproc.sh):
-- a 10 x 10 grid of lights (100) with 500 veh/h on every line, queue detectors
-- on every lane that enters or leaves a light (1 s), and with controllers = 1
-- a max-pressure controller (controllers/max_pressure.lua) on every light at
-- a 1 s control period; with controllers = 0 the lights run their fixed-time
-- plan and the detectors report to no one.
--   citylab run scenarios/bench_control.lua --param controllers=1
local tb = require("signal_testbed")
local with = city.param("controllers", 1)
city.config{ dt_ms = 500, until_s = 1800, name = "bench_control" }
local net = tb.grids{ copies = { "B" }, nx = 10, ny = 10, spacing = 200, entry = 200, gap = 0 }
for k, line in ipairs(net.B.lines) do
  city.road.flow{ id = "B." .. line.axis .. k, from = line.from, to = line.to, begin = 0, ["end"] = 1800, rate = 500 }
end
for _, light in ipairs(net.B.lights) do
  local params, phases, sensors = { signal = "sig." .. light, slot = 5 }, {}, {}
  for _, ph in ipairs(tb.green_phases(light)) do
    phases[#phases + 1] = ph.index
    local ins, outs = {}, {}
    for _, m in ipairs(ph.moves) do
      for _, pair in ipairs({ { ins, m.from }, { outs, m.to } }) do
        local name = tb.sensor{ name = tb.sensor_name("q.", pair[2]), kind = "queue", quantity = "count",
                                lane = pair[2], period_s = 1 }
        pair[1][#pair[1] + 1] = name
        sensors[#sensors + 1] = name
      end
    end
    params["in_" .. ph.index], params["out_" .. ph.index] = table.concat(ins, " "), table.concat(outs, " ")
  end
  params.phases = table.concat(phases, " ")
  if with ~= 0 then
    city.control.actuator{ name = "sig." .. light, kind = "signal", tls = light }
    city.control.attach{ file = "controllers/max_pressure.lua", name = "mp." .. light, sensors = sensors,
                         actuators = { "sig." .. light }, params = params, period = 1 }
  end
end
