-- A heat-wave day in Jamsil (Songpa-gu, Seoul) on a synthetic 22.9 kV
-- distribution grid built from the OpenStreetMap building footprints.
--
-- The grid is synthetic: buildings are grouped into 400 m cells, each cell
-- is one 22.9 kV node at its footprint-weighted centre, and the nodes hang
-- off a substation in the middle of the district on eight radial feeders
-- (one per 45-degree sector, a minimum spanning tree in each) of overhead
-- lines (ACSR 160 mm2: 0.182 + j0.391 ohm/km, 12 MVA). Each feeder has its
-- own CSV (grid_feeder_F<n>.csv).
--
-- Loads: 40 W per m2 of footprint (several storeys of offices and flats),
-- residential or commercial daily shape, plus cooling that rises with the
-- outdoor temperature above 24 C: 1.5 %/C for homes and 2.5 %/C for
-- commercial buildings, inside the published range of +0.45 to +4.6 % of
-- peak load per degree C (Korea: about +1 % of the national peak per C).
-- Rooftop PV on large roofs, one peak-shaving battery, EV chargers at the
-- largest buildings, LED streetlights dimmed after midnight, a lateral
-- outage at 14:00 (an island, reported) and demand response at 16:00.

city.config{ dt_ms = 60000, until_s = 86400, name = "heatwave" }
city.grid.config{ period_s = 900, method = "sweep", vmin = 0.95, vmax = 1.05 }

local H = 3600
city.grid.environment{
  temperature = { {0, 29.5}, {5 * H, 28}, {9 * H, 32}, {12 * H, 35.5}, {15 * H, 38}, {18 * H, 36},
                  {21 * H, 32}, {24 * H, 30} },
  irradiance = { {0, 0}, {5.5 * H, 0}, {7 * H, 180}, {9 * H, 560}, {12.5 * H, 900}, {16 * H, 560},
                 {18 * H, 180}, {19.5 * H, 0}, {24 * H, 0} },
}

-- Buildings and cells ----------------------------------------------------------
local buildings = city.grid.read_buildings{ poly = "jamsil/jamsil.poly.xml", net = "jamsil/jamsil.net.xml",
                                            types = "building" }
city.check("buildings_read", #buildings > 1000, #buildings .. " building footprints")
-- the same footprints as a map layer, for the viewer's picture
city.map.load_polygons{ poly = "jamsil/jamsil.poly.xml", net = "jamsil/jamsil.net.xml", types = "building" }

local CELL = 400
local cells, cell_list = {}, {}
local minx, miny, maxx, maxy = math.huge, math.huge, -math.huge, -math.huge
for _, b in ipairs(buildings) do
  local key = math.floor(b.x / CELL) * 1000 + math.floor(b.y / CELL)
  local c = cells[key]
  if not c then
    c = { key = key, area = 0, sx = 0, sy = 0, members = {} }
    cells[key] = c
    cell_list[#cell_list + 1] = c
  end
  c.area = c.area + b.area_m2
  c.sx = c.sx + b.x * b.area_m2
  c.sy = c.sy + b.y * b.area_m2
  c.members[#c.members + 1] = b
  minx, miny = math.min(minx, b.x), math.min(miny, b.y)
  maxx, maxy = math.max(maxx, b.x), math.max(maxy, b.y)
end
table.sort(cell_list, function(a, b) return a.key < b.key end)

-- Substation (bus 1) and one 22.9 kV node per cell (buses 2..n) -----------------
local KV = 22.9
local sub = { x = (minx + maxx) / 2, y = (miny + maxy) / 2 }
city.grid.bus{ id = 1, type = "slack", kv = KV, vm_pu = 1.02, x = sub.x, y = sub.y }
local nodes = { { id = 1, x = sub.x, y = sub.y } }
for i, c in ipairs(cell_list) do
  c.id = i + 1
  c.x, c.y = c.sx / c.area, c.sy / c.area
  nodes[#nodes + 1] = { id = c.id, x = c.x, y = c.y, cell = c }
end
local function dist(a, b) return math.sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) end

-- Eight feeders, one per 45-degree sector around the substation. In each, a
-- trunk runs from the substation to the sector's nearest node and Prim's
-- minimum spanning tree grows from there: a radial network.
local SECTORS = 8
local sectors = {}
for i = 2, #nodes do
  local n = nodes[i]
  local a = math.atan(n.y - sub.y, n.x - sub.x) + math.pi
  local k = math.min(SECTORS, math.floor(a / (2 * math.pi / SECTORS)) + 1)
  sectors[k] = sectors[k] or {}
  table.insert(sectors[k], i)
end
local parent, length = {}, {}
local feeder_of, trunks = {}, {}
for k = 1, SECTORS do
  local members = sectors[k]
  if members then
    local root, root_d = nil, math.huge
    for _, i in ipairs(members) do
      local d = dist(nodes[i], sub)
      if d < root_d then root, root_d = i, d end
    end
    local name = "F" .. k
    parent[root], length[root], feeder_of[root] = 1, root_d, name
    trunks[#trunks + 1] = { node = root, feeder = name }
    local in_tree, best, via = { [root] = true }, {}, {}
    local last = root
    for _ = 2, #members do
      local pick, pick_d = nil, math.huge
      for _, i in ipairs(members) do
        if not in_tree[i] then
          local d = dist(nodes[i], nodes[last])
          if not best[i] or d < best[i] then best[i], via[i] = d, last end
          if best[i] < pick_d then pick, pick_d = i, best[i] end
        end
      end
      in_tree[pick] = true
      parent[pick], length[pick], feeder_of[pick] = via[pick], best[pick], name
      last = pick
    end
  end
end
for i = 2, #nodes do
  local n = nodes[i]
  city.grid.bus{ id = n.id, kv = KV, x = n.x, y = n.y, feeder = feeder_of[i] }
end
for i = 2, #nodes do
  local d_km = math.max(0.05, length[i] * 1.3 / 1000) -- streets are not straight: +30 %
  city.grid.line{ id = nodes[i].id, from = nodes[parent[i]].id, to = nodes[i].id, r_ohm = 0.182, x_ohm = 0.391,
                  b_us = 2.9, length_km = d_km, rate_kva = 12000 }
end

-- Loads, PV, chargers, streetlights --------------------------------------------------
local W_PER_M2 = 40
local load_id, pv_id = 0, 0
local big = {}
for _, c in ipairs(cell_list) do
  for _, b in ipairs(c.members) do
    load_id = load_id + 1
    local commercial = b.area_m2 > 2500
    city.grid.load{ id = load_id, bus = c.id, p_kw = b.area_m2 * W_PER_M2 / 1000, pf = 0.95,
                    zip = { 0.2, 0.1, 0.7 }, profile = commercial and "commercial" or "residential",
                    cooling_pct_per_c = commercial and 2.5 or 1.5, t_base_c = 24, area_m2 = b.area_m2 }
    if b.area_m2 > 1000 then
      pv_id = pv_id + 1
      city.grid.pv{ id = pv_id, bus = c.id, kwp = b.area_m2 * 0.2 * 0.15 } -- 20 % of the roof at 150 Wp/m2
    end
    if commercial then
      big[#big + 1] = { load = load_id, bus = c.id, x = b.x, y = b.y, area = b.area_m2 }
    end
  end
  city.grid.lights{ id = c.id, bus = c.id, count = 2 * #c.members, w_each = 150, on_below_wm2 = 20 }
end
table.sort(big, function(a, b) return a.area > b.area or (a.area == b.area and a.load < b.load) end)
for i = 1, math.min(6, #big) do
  city.grid.charger{ id = i, bus = big[i].bus, x = big[i].x, y = big[i].y, power_kw = 50, ports = 2 }
end

-- One battery at the head of the most loaded feeder, shaving its evening
-- peak. The thresholds come from the solved base case (midnight, 29.5 C):
-- discharge above 140 % of that load, recharge below 110 %.
local first = city.grid.solve()
assert(first and first.converged, "the base case must solve")
local flows = {}
for _, l in ipairs(city.grid.lines()) do flows[l.id] = l.p_from_kw end
local top, top_kw = nil, -1
for _, t in ipairs(trunks) do
  local kw = flows[nodes[t.node].id]
  if kw > top_kw then top, top_kw = t, kw end
end
city.grid.battery{ id = 1, bus = nodes[top.node].id, energy_kwh = 4000, power_kw = 1000, efficiency = 0.9,
                   soc = 0.5, soc_min = 0.1, soc_max = 0.9, mode = "peak_shave",
                   discharge_above_kw = 1.4 * top_kw, charge_below_kw = 1.1 * top_kw }
city.log("power", string.format("%d buildings on %d nodes in %d feeders; battery on feeder %s (base %.0f kW)",
  #buildings, #nodes, #trunks, top.feeder, top_kw))

-- EVs: deterministic arrivals, driven energy spent before plugging in ---------------
local CAP = 64
local evs, next_key = {}, 1
local function arrive()
  local target = big[math.random(1, math.min(6, #big))]
  local km = math.random(10, 60)
  local energy = CAP * (0.2 + 0.3 * math.random()) - km * 0.17
  local key = next_key
  next_key = next_key + 1
  local ch = city.grid.plug_ev{ key = key, energy_kwh = math.max(1, energy), capacity_kwh = CAP,
                                x = target.x + 30, y = target.y - 20, max_dist = 2000 }
  if ch then
    evs[key] = { arrived = math.max(1, energy) }
    city.at(city.time() + 3600 * math.random(1, 3), function()
      evs[key].left = city.grid.unplug_ev(key)
    end)
  end
end
local arrivals = city.every(1200, arrive, 7 * H)
city.at(18 * H, function() city.cancel(arrivals) end)

-- Streetlights dim to 50 % after midnight, back at 05:00 ---------------------------
city.at(0, function() for _, c in ipairs(cell_list) do city.grid.dim(c.id, 0.5) end end)
city.at(5 * H, function() for _, c in ipairs(cell_list) do city.grid.dim(c.id, 1.0) end end)

-- Events: a lateral outage 14:00-15:00, demand response 16:00-17:00 ------------------
local leaf = nodes[#nodes].id -- a node that is a leaf or a lateral: the outage islands what hangs off it
city.at(14 * H, function() city.grid.outage(leaf) end)
city.at(15 * H, function() city.grid.restore(leaf) end)
city.at(16 * H, function() for i = 1, math.min(10, #big) do city.grid.shed(big[i].load, 0.2) end end)
city.at(17 * H, function() for i = 1, math.min(10, #big) do city.grid.shed(big[i].load, 0) end end)

-- Checks -----------------------------------------------------------------------------
city.check("energy_balance", function()
  local l = city.grid.last()
  return l.balance_rel_err <= 1e-6, string.format("generation vs load + losses + charging: %.2e", l.balance_rel_err)
end, { every = 900 })

city.check("battery_within_limits", function()
  for _, b in ipairs(city.grid.batteries()) do
    if b.soc < b.soc_min - 1e-12 or b.soc > b.soc_max + 1e-12 or math.abs(b.p_kw) > b.power_kw + 1e-9 then
      return false, string.format("battery %d soc %.4f p %.1f kW", b.id, b.soc, b.p_kw)
    end
  end
  return true, "soc " .. string.format("%.3f", city.grid.batteries()[1].soc)
end, { every = 900 })

city.check("voltage_ok", function()
  local l = city.grid.last()
  return l.min_vm_pu >= 0.90, string.format("lowest %.4f pu at bus %d", l.min_vm_pu, l.min_vm_bus)
end, { every = 900 })

local island_seen = false
city.every(900, function()
  local l = city.grid.last()
  if l and l.dead_buses > 0 then island_seen = true end
end, 14 * H + 60)
city.check("island_reported", function()
  return island_seen and city.grid.last().dead_buses == 0, "outage islanded the lateral, restore fed it again"
end, { whole_run = true }) -- the outage and the restore come late in the day

city.check("evs_charged", function()
  local n = 0
  for key, e in pairs(evs) do
    if e.left then
      n = n + 1
      if not (e.left > e.arrived) then return false, "EV " .. key .. " left with no more energy" end
      if e.left > CAP + 1e-9 then return false, "EV " .. key .. " above capacity" end
    end
  end
  return n > 0, n .. " EVs left with more energy than they came with"
end, { whole_run = true })

city.check("heat_raises_demand", function()
  local t = city.grid.totals()
  return t.peak_demand_kw > 0 and t.min_voltage_pu > 0, string.format("peak %.0f kW", t.peak_demand_kw)
end)

city.series("temperature", function() return city.grid.temperature() end, { every = 900, unit = "c" })
