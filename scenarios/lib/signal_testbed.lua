-- Helpers for the signal-control scenarios (signal_control.lua, emergency.lua):
-- identical copies of a signalized grid side by side in one network, so
-- that a baseline and a controlled variant meet the same demand in the same
-- run; the wiring of a light's green phases to detectors, found from the
-- network by the scenario (a controller never reads the network: it gets
-- sensor names in its params); and the delay each copy's vehicles lose.
local M = {}

-- The id of interior node (i, j) of copy c, and of the fringe nodes.
local function node(c, i, j) return string.format("%s%d_%d", c, i, j) end

-- city.road.build{} for copies (list of prefixes) of an nx x ny grid of
-- lights `spacing` m apart, with entry/exit roads `entry` m long, copies
-- `gap` m apart. Every road is one-way pairs of `lanes` lanes. Returns, per
-- copy, {lights = {ids}, lines = { {from = edge, to = edge}, ... }} where a
-- line is an entry edge and the exit edge straight across (north-south
-- lines first, then west-east).
function M.grids(o)
  local nodes, edges, out = {}, {}, {}
  local S, E = o.spacing, o.entry
  local width = (o.nx + 1) * S + 2 * E + o.gap
  local function edge(a, b)
    local id = a .. "." .. b
    edges[#edges + 1] = { id = id, from = a, to = b, lanes = o.lanes or 1, speed = o.speed or 13.89 }
    return id
  end
  local function road(a, b) edge(a, b); edge(b, a) end
  for k, c in ipairs(o.copies) do
    local x0, info = (k - 1) * width, { lights = {}, lines = {} }
    for i = 1, o.nx do
      for j = 1, o.ny do
        nodes[#nodes + 1] = { id = node(c, i, j), x = x0 + E + i * S, y = E + j * S, type = "traffic_light" }
        info.lights[#info.lights + 1] = node(c, i, j)
      end
    end
    for i = 1, o.nx do
      local s, n = c .. "S" .. i, c .. "N" .. i
      nodes[#nodes + 1] = { id = s, x = x0 + E + i * S, y = S, type = "priority" }
      nodes[#nodes + 1] = { id = n, x = x0 + E + i * S, y = 2 * E + (o.ny + 1) * S - S, type = "priority" }
      road(s, node(c, i, 1)); road(node(c, i, o.ny), n)
      for j = 1, o.ny - 1 do road(node(c, i, j), node(c, i, j + 1)) end
      info.lines[#info.lines + 1] = { from = s .. "." .. node(c, i, 1), to = node(c, i, o.ny) .. "." .. n, axis = "ns" }
      info.lines[#info.lines + 1] = { from = n .. "." .. node(c, i, o.ny), to = node(c, i, 1) .. "." .. s, axis = "ns" }
    end
    for j = 1, o.ny do
      local w, e = c .. "W" .. j, c .. "E" .. j
      nodes[#nodes + 1] = { id = w, x = x0 + S, y = E + j * S, type = "priority" }
      nodes[#nodes + 1] = { id = e, x = x0 + 2 * E + o.nx * S, y = E + j * S, type = "priority" }
      road(w, node(c, 1, j)); road(node(c, o.nx, j), e)
      for i = 1, o.nx - 1 do road(node(c, i, j), node(c, i + 1, j)) end
      info.lines[#info.lines + 1] = { from = w .. "." .. node(c, 1, j), to = node(c, o.nx, j) .. "." .. e, axis = "we" }
      info.lines[#info.lines + 1] = { from = e .. "." .. node(c, o.nx, j), to = node(c, 1, j) .. "." .. w, axis = "we" }
    end
    out[c] = info
  end
  city.road.build{ nodes = nodes, edges = edges, time_to_teleport = o.time_to_teleport or -1 }
  return out
end

-- A lane id as part of a sensor name.
function M.sensor_name(prefix, lane) return prefix .. lane:gsub("[^%w%-:%.]", "_") end

-- The green phases of a light and, per phase, its movements {from lane, to
-- lane} with a green (G or g) in that phase: { {index =, moves = {...}}, ... }.
function M.green_phases(light)
  local plan, out = city.road.signal_plan(light), {}
  for _, ph in ipairs(plan.phases) do
    if ph.green then
      local moves, seen = {}, {}
      for _, l in ipairs(plan.links) do
        local s = ph.state:sub(l.index, l.index)
        local key = l.from .. ">" .. l.to
        if (s == "G" or s == "g") and not seen[key] then
          seen[key] = true
          moves[#moves + 1] = { from = l.from, to = l.to }
        end
      end
      out[#out + 1] = { index = ph.index, moves = moves }
    end
  end
  return out
end

-- Length (m) of a lane "<edge>_<index>".
local lengths = nil
function M.lane_length(lane)
  if not lengths then
    lengths = {}
    for _, e in ipairs(city.road.edges()) do lengths[e.id] = e.length end
  end
  return lengths[lane:match("^(.*)_%d+$")]
end

-- Adds a sensor once (lanes are shared between neighbouring lights).
local added = {}
function M.sensor(def)
  if not added[def.name] then
    added[def.name] = true
    city.sensor.add(def)
  end
  return def.name
end

-- Space-separated list of the distinct incoming lanes of a phase, as sensor names.
function M.in_lanes(phase, prefix)
  local names, seen = {}, {}
  for _, m in ipairs(phase.moves) do
    if not seen[m.from] then
      seen[m.from] = true
      names[#names + 1] = M.sensor_name(prefix, m.from)
    end
  end
  return names
end

-- Wiring for controllers/max_pressure.lua: a queue detector (1 s, plus the
-- fields of `model`) on both lanes of every movement of each green phase.
-- Returns params (phases, in_<p>, out_<p>) and the sensor names.
function M.queue_wiring(light, model)
  local params, phases, sensors, seen = {}, {}, {}, {}
  local function queue(lane)
    local def = { name = M.sensor_name("q.", lane), kind = "queue", quantity = "count", lane = lane, period_s = 1 }
    for k, v in pairs(model or {}) do def[k] = v end
    local name = M.sensor(def)
    if not seen[name] then
      seen[name] = true
      sensors[#sensors + 1] = name
    end
    return name
  end
  for _, ph in ipairs(M.green_phases(light)) do
    phases[#phases + 1] = ph.index
    local ins, outs = {}, {}
    for _, m in ipairs(ph.moves) do
      ins[#ins + 1] = queue(m.from)
      outs[#outs + 1] = queue(m.to)
    end
    params["in_" .. ph.index], params["out_" .. ph.index] = table.concat(ins, " "), table.concat(outs, " ")
  end
  params.phases = table.concat(phases, " ")
  return params, sensors
end

-- Wiring for the controllers that watch each phase's approaches: a detector
-- named prefix .. lane on every incoming lane, its definition from
-- det(lane) (name added here). Returns params (phases, det_<p>) and the sensor names.
function M.approach_wiring(light, prefix, det)
  local params, phases, sensors = {}, {}, {}
  for _, ph in ipairs(M.green_phases(light)) do
    phases[#phases + 1] = ph.index
    local dets = {}
    for _, name in ipairs(M.in_lanes(ph, prefix)) do
      local def = det(name:sub(#prefix + 1))
      def.name = name
      dets[#dets + 1] = M.sensor(def)
      sensors[#sensors + 1] = name
    end
    params["det_" .. ph.index] = table.concat(dets, " ")
  end
  params.phases = table.concat(phases, " ")
  return params, sensors
end

-- Declares the signal actuator "sig.<light>" and attaches a controller to
-- it: o = { file =, name =, params = (wiring), extra = (more params),
-- sensors =, stale_s =, instructions = }, control period 1 s.
function M.attach(light, o)
  local params = { signal = "sig." .. light }
  for k, v in pairs(o.params or {}) do params[k] = v end
  for k, v in pairs(o.extra or {}) do params[k] = v end
  city.control.actuator{ name = "sig." .. light, kind = "signal", tls = light }
  city.control.attach{ file = o.file, name = o.name, sensors = o.sensors, actuators = { "sig." .. light },
                       params = params, period = 1, stale_s = o.stale_s, instructions = o.instructions }
end

-- Time lost against the speed limit (SUMO's timeLoss), summed per copy over
-- its vehicles (named "<copy>.<flow>.<n>"), sampled every `every` s; and
-- the number of distinct vehicles each copy has put on the network.
function M.delay_meter(copies, limit_mps, every)
  local loss, seen, count = {}, {}, {}
  for _, c in ipairs(copies) do loss[c], count[c] = 0, 0 end
  city.every(every, function()
    for _, v in ipairs(city.road.vehicles()) do
      local c = v.name:match("^([^.]+)%.")
      if loss[c] then
        loss[c] = loss[c] + every * math.max(0, 1 - v.speed / limit_mps)
        if not seen[v.name] then
          seen[v.name] = true
          count[c] = count[c] + 1
        end
      end
    end
  end)
  return function(c) return count[c] > 0 and loss[c] / count[c] or 0 end
end

-- Travel times of named vehicles: sampled every `every` s, a vehicle's
-- time is from its departure to the last sample that saw it (so within
-- `every` s). Returns a function name -> seconds (nil while not arrived).
function M.trip_timer(departs, every)
  local last, done = {}, {}
  city.every(every, function()
    local now, here = city.time(), {}
    for _, v in ipairs(city.road.vehicles()) do
      if departs[v.name] then
        here[v.name] = true
        last[v.name] = now
      end
    end
    for name in pairs(departs) do
      if last[name] and not here[name] then done[name] = true end
    end
  end)
  return function(name) return done[name] and last[name] - departs[name] or nil end
end

return M
