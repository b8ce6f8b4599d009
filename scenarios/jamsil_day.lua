-- The Jamsil living-lab day: 24 hours of the Jamsil district (Songpa-gu,
-- Seoul) with every subsystem at once, and the events a city's operators
-- meet. What `citylab` runs with no arguments (scenarios/default.lua).
--
--   Streets   the real network (OpenStreetMap, SUMO's netconvert) with its
--             signals, under a day of car demand made by SUMO's own tools
--             (assets/jamsil/jamsil_day.rou.xml, 14,216 trips; a morning
--             peak of one car every 2 s, the rate tests/test_road_real.c
--             holds citylab to SUMO on). SUMO's figures for the same file
--             are in assets/jamsil/jamsil_day_sumo.csv.
--   People    the network's sidewalks, crossings and walking areas: commuters
--             between the station exit and the neighbourhood, pupils to the
--             school, visitors to the health centre.
--   Power     a 22.9 kV grid laid along the streets (scenarios/lib/
--             street_feeder.lua) feeding every building, rooftop PV on large
--             roofs, a community battery run by the peak-shaving controller
--             (scenarios/controllers/peak_shave.lua) over the device API, EV
--             chargers at the largest buildings and streetlights on every
--             street, dimmed after midnight through their actuators.
--   EVs       a tenth of the car trips are made by EVs (`--param ev_share=`)
--             that spend their battery by speed and acceleration as they
--             drive (the road's physical model, sim/road/road_ev.c) and, on
--             arriving low near a charger, plug in with what is left and
--             draw on the feeder.
--   Sensors   loops on every signalised approach, low-cost PM2.5 sensors
--             every 500 m, smart meters on every building, a meter on the
--             battery's street cable.
--   Events    an ambulance to Asan Medical Center at 08:10 with signal
--             pre-emption (scenarios/controllers/preemption.lua), a
--             fine-dust episode in the morning (06:00-11:00), a heat wave
--             in the afternoon (12:00-19:00, cooling load), a line outage at
--             13:00 restored by the operator at 14:00, the cable meter
--             failing at 21:00 (the controller's fail-safe idles the battery).
-- Checks are windowed: `citylab run scenarios/jamsil_day.lua --until 600`
-- reports what it did not reach as not reached.
local H = 3600
local NET = "jamsil/jamsil.net.xml"
-- EVs: South Korea's new cars were about a tenth electric in 2023; they set
-- off with 15-60 % in the battery (Seoul drivers top up often) and plug in
-- when they arrive below 35 %.
local EV_SHARE, EV_CHARGE_BELOW = city.param("ev_share", 0.1), 0.35
city.config{ name = "jamsil_day", dt_ms = 1000, until_s = 24 * H }

-- Streets and cars ---------------------------------------------------------------------
city.road.load_sumo{ net = NET, routes = { "jamsil/jamsil_day.rou.xml" },
                     ev_charge_below = EV_CHARGE_BELOW, ev_charger_radius = 400, ev_dwell = 2 * H }
city.map.load_polygons{ poly = "jamsil/jamsil.poly.xml", net = NET, types = "building" }
city.series("vehicles", function() return city.road.stats().running end, { every = 300, unit = "count" })
city.series("mean_speed", function() return city.road.stats().mean_speed end, { every = 300, unit = "mps" })
-- The EVs behind the default car: a passenger car's size and driving, a
-- Kona Electric's battery and physics (the passenger class's EV defaults).
city.road.vtype{ id = "ev_car", class = "passenger", ev = true, soc_min = 0.15, soc_max = 0.6 }
city.road.default_mix{ { type = "ev_car", share = EV_SHARE } }

-- The morning peak against SUMO on the same file (jamsil_day_sumo.csv): trips
-- that arrive between 07:30 and 08:30, their number and mean travel time.
local SUMO_PEAK_TRIPS, SUMO_PEAK_TT = 1715, 120.04
local peak = {}
local function snap()
  local s = city.road.stats()
  return { n = s.arrived, tt = s.mean_travel_time * s.arrived }
end
city.at(7.5 * H, function() peak.a = snap() end)
city.at(8.5 * H, function() peak.b = snap() end)
local function peak_figures()
  local n = peak.b.n - peak.a.n
  return n, n > 0 and (peak.b.tt - peak.a.tt) / n or 0
end
city.check("morning_peak_flows_like_sumo", function()
  local n, tt = peak_figures()
  return n >= 0.97 * SUMO_PEAK_TRIPS and math.abs(tt - SUMO_PEAK_TT) <= 0.15 * SUMO_PEAK_TT,
    ("%d trips arrived 07:30-08:30 in %.1f s on average; SUMO %d in %.1f s"):format(n, tt, SUMO_PEAK_TRIPS,
      SUMO_PEAK_TT)
end, { from = 7.5 * H, to = 8.5 * H })
city.check("no_gridlock", function()
  local s = city.road.stats()
  return s.teleports <= 3 and s.gridlock_warnings <= 0.001 * s.inserted,
    ("%d teleports, %d gridlock warnings in %d vehicles"):format(s.teleports, s.gridlock_warnings, s.inserted)
end, { every = 900 })
city.check("demand_served", function() -- every trip accounted for; only the last minutes' still on the road
  local s = city.road.stats()
  return s.arrived + s.aborted + s.running == s.inserted and s.aborted <= 0.001 * s.inserted and s.running <= 20,
    ("%d of %d trips arrived, %d aborted, %d on the road at midnight"):format(s.arrived, s.inserted, s.aborted,
      s.running)
end, { whole_run = true })

-- The ambulance run: at 08:10, in the morning peak, an ambulance drives
-- from the south-west of the district to Asan Medical Center. On its way the
-- two signalised junctions it crosses carry priority-request receivers
-- (emergency detectors) on its approach and on the streets before it, up to
-- AMB_WARN_M before the stop line (the approach to the second light is
-- 0.2 m long: a receiver on it alone never hears an ambulance passing at
-- 20 m/s between two of its 1 s samples), and controllers/preemption.lua gives green
-- to the movement it makes (`--param preempt=false`: the lights keep their
-- plans). Check: it arrives within 1.3 times its free-flow time.
local PREEMPT = city.param("preempt", true)
local tb = require("signal_testbed")
local AMB_FROM, AMB_TO, AMB_AT, AMB_WARN_M = "-70998360#1", "-909315383", 8 * H + 600, 300
-- (its speed factor exactly 1.3, as the free-flow time below counts it: with
-- the default spread of 10 %, a draw of 1.04 once held it to 14.5 m/s on the
-- 13.9 m/s lanes of -426094557#2 and the next edges, 270 s against 244 s)
city.road.vtype{ id = "ambulance", class = "emergency", max_speed = 25, speed_factor = 1.3, speed_dev = 0 }
city.road.trip{ id = "ambulance", type = "ambulance", depart = AMB_AT, from = AMB_FROM, to = AMB_TO }
local amb_path, amb_at, amb_free, edge_len, edge_lanes = {}, {}, 0, {}, {}
do
  local speed = {}
  for _, e in ipairs(city.road.edges()) do edge_len[e.id], speed[e.id], edge_lanes[e.id] = e.length, e.speed, e.lanes end
  for k, id in ipairs(assert(city.road.path(AMB_FROM, AMB_TO, "emergency"))) do
    amb_path[k], amb_at[id] = id, k
    amb_free = amb_free + edge_len[id] / math.min(25, 1.3 * speed[id])
  end
end
local function edge_of(lane) return lane:match("^(.*)_%d+$") end
-- The receivers for an approach at path index k: every lane of it and of
-- the path's edges before it that start within AMB_WARN_M of its stop line.
local function receivers(k)
  local names, ahead_m = {}, 0
  while k >= 1 and ahead_m < AMB_WARN_M do
    local e = amb_path[k]
    for i = 0, edge_lanes[e] - 1 do
      local lane = e .. "_" .. i
      names[#names + 1] = tb.sensor{ name = tb.sensor_name("ev.", lane), kind = "emergency", quantity = "count",
                                     lane = lane, period_s = 1 }
    end
    ahead_m, k = ahead_m + edge_len[e], k - 1
  end
  return names
end
local preempting = 0
for _, s in ipairs(city.road.signals()) do
  local params, phases, sensors = { signal = "sig." .. s.id, hold = 4 }, {}, {}
  for _, ph in ipairs(tb.green_phases(s.id)) do
    local dets = {}
    for _, m in ipairs(ph.moves) do
      local k = amb_at[edge_of(m.from)]
      if #dets == 0 and k and amb_path[k + 1] == edge_of(m.to) then -- a phase that serves its movement
        dets = receivers(k)
        for _, name in ipairs(dets) do
          if not sensors[name] then sensors[name], sensors[#sensors + 1] = true, name end
        end
      end
    end
    if #dets > 0 then
      phases[#phases + 1] = ph.index
      params["det_" .. ph.index] = table.concat(dets, " ")
    end
  end
  if #sensors > 0 and PREEMPT then
    params.phases = table.concat(phases, " ")
    city.control.actuator{ name = "sig." .. s.id, kind = "signal", tls = s.id }
    local list = {}
    for _, name in ipairs(sensors) do list[#list + 1] = name end
    city.control.attach{ file = "controllers/preemption.lua", name = "pe." .. s.id, sensors = list,
                         actuators = { "sig." .. s.id }, params = params, period = 1 }
    preempting = preempting + 1
  end
end
local amb = {}
city.at(AMB_AT, function()
  amb.watch = city.every(1, function()
    for _, v in ipairs(city.road.vehicles()) do
      if v.name == "ambulance" then amb.last = city.time(); return end
    end
    if amb.last then
      amb.travel = amb.last - AMB_AT
      city.cancel(amb.watch)
    end
  end)
end)
city.kpi("ambulance_travel_s", function() return amb.travel or -1 end)
city.check("ambulance_reaches_hospital", function()
  return amb.travel ~= nil and (amb.travel <= 1.3 * amb_free or not PREEMPT),
    ("ambulance %s s through %d pre-empting junctions; free flow %.0f s"):format(
      amb.travel and ("%.0f"):format(amb.travel) or "not arrived", preempting, amb_free)
end, { from = AMB_AT, to = 9 * H })

-- People -------------------------------------------------------------------------------
local walk = city.ped.load_sumo{ net = NET }
city.log("ped", ("walkable space: %d areas from %d sidewalks, %d crossings, %d walking areas"):format(walk.areas,
  walk.sidewalks, walk.crossings, walk.walkingareas))
-- On the sidewalks nearest each place (the network's largest walkable piece;
-- OpenStreetMap maps few sidewalks in Seoul). Walks are short (200-520 m):
-- every walker is a Chipmunk2D body stepped every 0.1 s, the day's costliest
-- part per head; `--param people=2` doubles every flow.
local PEOPLE = city.param("people", 1.0)
local places = {
  station = { 3125.49, 1152.31 },  -- the exit of the station underpass (OSM subway_entrance 110 m north)
  school = { 3128.43, 999.99 },    -- the school gate
  health = { 2650.98, 1002.35 },   -- Songpa-gu public health centre, 120 m west
  homes_ne = { 3308.36, 1066.17 }, homes_nw = { 2664.87, 1049.79 },
}
for _, name in ipairs{ "station", "school", "health", "homes_ne", "homes_nw" } do
  city.ped.place{ name = name, x = places[name][1], y = places[name][2], radius = 2 }
end
local walks = { -- from, to, begin h, end h, persons/h
  { "station", "homes_ne", 7, 9, 120 }, { "station", "homes_nw", 7, 9, 30 },         -- commuters
  { "homes_ne", "school", 7.67, 8.33, 200 }, { "station", "school", 7.67, 8.33, 150 }, -- the school run
  { "school", "homes_ne", 15, 15.5, 300 }, { "school", "station", 15, 15.5, 200 },
  { "station", "health", 9, 12, 15 }, { "health", "station", 10, 13, 15 },              -- the health centre
  { "homes_ne", "station", 17.5, 19.5, 120 }, { "homes_nw", "station", 17.5, 19.5, 30 },
}
for _, w in ipairs(walks) do
  city.ped.flow{ from = w[1], to = w[2], begin = w[3] * H, ["end"] = w[4] * H, rate = w[5] * PEOPLE, poisson = true }
end
city.series("walking", function() return city.ped.stats().walking end, { every = 300, unit = "persons" })
city.check("school_run_arrives", function()
  local s = city.ped.stats()
  return s.arrived > 400 * PEOPLE and s.walking + s.waiting <= 0.01 * s.departed,
    ("%d arrived, %d walking, %d waiting at 10:00"):format(s.arrived, s.walking, s.waiting)
end, { from = 7 * H, to = 10 * H })
city.check("everyone_walks_home", function()
  local s = city.ped.stats()
  return s.walking + s.waiting <= 0.01 * s.departed,
    ("%d of %d arrived, %d walking, %d waiting"):format(s.arrived, s.departed, s.walking, s.waiting)
end, { whole_run = true })

-- Weather: a Seoul summer day with a fine-dust morning and a heat-wave afternoon ---------
city.env.background{ pm25 = 15, pm10 = 25, nox = 30 }
city.env.episode{ kind = "dust", start_s = 6 * H, ramp_s = H, hold_s = 3 * H, level = 90 }
city.env.episode{ kind = "heat", start_s = 12 * H, ramp_s = 2 * H, hold_s = 3 * H, level = 6 }
city.env.air{ cell_m = 40 }

-- Power along the streets --------------------------------------------------------------
local buildings = city.grid.read_buildings{ poly = "jamsil/jamsil.poly.xml", net = NET, types = "building" }
city.grid.config{ period_s = 60, method = "sweep", vmin = 0.95, vmax = 1.05 }
local feeder = require("street_feeder").build{ buildings = buildings, sub_x = 2800, sub_y = 1300, w_per_m2 = 40 }
local load_id, pv_id, big = 0, 0, {}
for _, bus in ipairs(feeder.buses) do
  for _, b in ipairs(bus.members) do
    load_id = load_id + 1
    local commercial = b.area_m2 > 2500
    city.grid.load{ id = load_id, bus = bus.id, p_kw = b.area_m2 * 40 / 1000, pf = 0.95, zip = { 0.2, 0.1, 0.7 },
                    profile = commercial and "commercial" or "residential",
                    cooling_pct_per_c = commercial and 2.5 or 1.5, t_base_c = 24, area_m2 = b.area_m2 }
    if b.area_m2 > 1000 then
      pv_id = pv_id + 1
      city.grid.pv{ id = pv_id, bus = bus.id, kwp = b.area_m2 * 0.2 * 0.15 } -- 20 % of the roof at 150 Wp/m2
    end
    if commercial then big[#big + 1] = { bus = bus.id, x = b.x, y = b.y, area = b.area_m2, load = load_id } end
  end
  -- a 150 W LED streetlight every 30 m of the street that feeds the bus, on both sides
  local n = math.max(1, math.floor(2 * feeder.street_m[bus.id] / 30))
  city.grid.lights{ id = bus.id, bus = bus.id, count = n, w_each = 150, on_below_wm2 = 20 }
  city.control.actuator{ name = "light." .. bus.id, kind = "streetlight", lights = bus.id }
end
table.sort(big, function(a, b) return a.area > b.area or (a.area == b.area and a.load < b.load) end)
for i = 1, math.min(8, #big) do
  city.grid.charger{ id = i, bus = big[i].bus, x = big[i].x, y = big[i].y, power_kw = 50, ports = 2 }
end
city.check("buildings_on_the_grid", load_id == #buildings, ("%d of %d buildings fed by %d buses on %d feeders")
  :format(load_id, #buildings, #feeder.buses, #feeder.trunks))

-- The community battery (1 MW, 4 MWh) on the street cable whose midnight
-- flow is nearest 1.5 MW, run by the peak-shaving controller: it reads
-- that cable's meter every minute and keeps its flow under twice the
-- midnight flow (the heat-wave afternoon asks for about 2.2 times).
local base = assert(city.grid.solve(), "the grid must solve at midnight")
assert(base.converged)
local top, top_kw = nil, nil
for _, l in ipairs(city.grid.lines()) do
  if not top or math.abs(l.p_from_kw - 1500) < math.abs(top_kw - 1500) then top, top_kw = l, l.p_from_kw end
end
local LIMIT_KW = 2.0 * top_kw
city.grid.battery{ id = 1, bus = top.to, energy_kwh = 4000, power_kw = 1000, soc = 0.8, mode = "idle" }
city.sensor.add{ name = "cable_meter", kind = "feeder", quantity = "power", branch = top.id, period_s = 60,
                 fault = "dead", fault_at_s = 21 * H }
city.control.actuator{ name = "battery", kind = "storage", battery = 1, min = -1000, max = 1000 }
city.control.attach{ file = "controllers/peak_shave.lua", name = "peak_shave", sensors = { "cable_meter" },
                     actuators = { "battery" }, period = 60, stale_s = 600,
                     params = { sensor = "cable_meter", battery = "battery", limit_kw = LIMIT_KW,
                                floor_kw = 1.1 * top_kw, power_kw = 1000 } }
city.log("power", ("%d buildings on %d buses, %d feeders; battery at bus %d (cable %d: midnight %.0f kW, limit %.0f kW)")
  :format(#buildings, #feeder.buses, #feeder.trunks, top.to, top.id, top_kw, LIMIT_KW))

-- EVs at the chargers: what the grid delivered, and the peak it saw.
city.series("ev_charging", function()
  local kw = 0
  for _, c in ipairs(city.grid.chargers()) do kw = kw + c.p_kw end
  return kw
end, { every = 300, unit = "kw" })

-- Streetlights dim to half between 01:00 and 05:00 through their actuators.
local function dim_all(level)
  for _, bus in ipairs(feeder.buses) do city.control.command("light." .. bus.id, level) end
end
city.at(1 * H, function() dim_all(0.5) end)
city.at(5 * H, function() dim_all(1.0) end)

-- The line outage: a lateral trips at 13:00, the operator restores it at 14:00.
local lateral = feeder.buses[#feeder.buses].id -- the farthest junction's cable: a leaf
local island_seen = false
city.at(13 * H, function() city.grid.outage(lateral) end)
city.every(900, function()
  if city.grid.last().dead_buses > 0 then island_seen = true end
end, 13 * H + 60)
city.at(14 * H, function() city.grid.restore(lateral) end)

-- Sensors ------------------------------------------------------------------------------
local loops = city.sensor.loops{ period_s = 300, latency_s = 1 } -- 5-minute counts, as city loops report
local pm = city.sensor.grid{ every_m = 500, quantity = "pm25", period_s = 60, latency_s = 2, noise_sd = 2,
                             quantum = 1, min = 0, max = 1000, dropout = 0.03, rh_kappa = 0.4 }
local meters = city.sensor.meters{ period_s = 900 }
city.log("sensors", ("%d loops, %d PM2.5 sensors, %d smart meters"):format(loops, pm, meters))

-- Power and sensor checks ----------------------------------------------------------------
city.check("energy_balance", function()
  local l = city.grid.last()
  return l.balance_rel_err <= 1e-6, ("generation vs load + losses + charging: %.2e"):format(l.balance_rel_err)
end, { every = 900 })
city.check("voltage_ok", function()
  local l = city.grid.last()
  return l.min_vm_pu >= 0.93, ("lowest %.4f pu at bus %d"):format(l.min_vm_pu, l.min_vm_bus)
end, { every = 900 })
city.check("outage_islanded_and_restored", function()
  return island_seen and city.grid.last().dead_buses == 0, "the lateral was islanded at 13:00 and fed again at 14:00"
end, { from = 13 * H, to = 14.5 * H })

-- The cable's demand as a utility bills it: the mean of each 15 minutes
-- (what the meter saw), and what the load behind it asked for.
local head = { peak = 0, load_peak = 0, sum = 0, load_sum = 0, n = 0 }
city.every(60, function()
  for _, l in ipairs(city.grid.lines()) do
    if l.id == top.id then
      head.sum = head.sum + l.p_from_kw
      head.load_sum = head.load_sum + l.p_from_kw + city.grid.batteries()[1].p_kw
      head.n = head.n + 1
    end
  end
  if head.n == 15 then
    head.peak = math.max(head.peak, head.sum / 15)
    head.load_peak = math.max(head.load_peak, head.load_sum / 15)
    head.sum, head.load_sum, head.n = 0, 0, 0
  end
end, 60)
city.kpi("cable_peak_15min_kw", function() return head.peak end)
city.kpi("cable_load_peak_15min_kw", function() return head.load_peak end)
city.check("battery_shaves_the_heat_peak", function()
  return head.load_peak > LIMIT_KW and head.peak <= LIMIT_KW * 1.02,
    ("the cable's 15-minute demand peaked at %.0f kW, its load's at %.0f kW (limit %.0f kW)"):format(head.peak,
      head.load_peak, LIMIT_KW)
end, { from = 12 * H, to = 20 * H })
city.check("meter_failure_puts_battery_safe", function()
  local s = city.control.status("battery")
  return s.failsafe and s.failsafes >= 1 and city.grid.batteries()[1].p_kw == 0,
    ("battery actuator fail-safe %s after %d fail-safe events, battery at %.0f kW"):format(tostring(s.failsafe),
      s.failsafes, city.grid.batteries()[1].p_kw)
end, { from = 21 * H, to = 21.5 * H })

local dust = { before = 0, during = 0 }
local function pm_mean()
  local sum, n = 0, 0
  for _, s in ipairs(city.sensor.list()) do
    if s.quantity == "pm25" then
      local r = city.sensor.last(s.name, "pm25")
      if r.value then sum, n = sum + r.value, n + 1 end
    end
  end
  return n > 0 and sum / n or 0
end
city.at(5.5 * H, function() dust.before = pm_mean() end)
city.at(8.5 * H, function() dust.during = pm_mean() end)
city.check("sensors_see_the_fine_dust", function()
  return dust.during > 3 * dust.before, ("PM2.5 sensors' mean %.0f ug/m3 at 05:30, %.0f at 08:30"):format(
    dust.before, dust.during)
end, { from = 5.5 * H, to = 8.5 * H })
city.check("air_mass_balance", function()
  local b = city.env.budget("pm25")
  local err = math.abs(b.mass_g - (b.emitted_g - b.outflow_g - b.vented_g))
  return err <= 1e-9 * b.emitted_g, ("imbalance %.3g g of %.3g g emitted"):format(err, b.emitted_g)
end)
-- EVs: energy in and out, both ways. On the road, what the EVs set off
-- with less what their drives used is in the batteries of those that left
-- and of those still driving; at the chargers, what the grid delivered is
-- what the batteries gained.
local function ev_books()
  local r, c = city.road.stats(), city.grid.ev_charging()
  local driving = 0
  for _, v in ipairs(city.road.vehicles()) do driving = driving + v.energy_kwh end
  local gained = c.charged_kwh
  for _, e in ipairs(city.grid.evs()) do gained = gained + e.energy_kwh - e.arrived_kwh end
  local delivered = 0
  for _, ch in ipairs(city.grid.chargers()) do delivered = delivered + ch.delivered_kwh end
  return r, c, math.abs(r.ev_start_kwh - r.ev_used_kwh - r.ev_left_kwh - driving), math.abs(delivered - gained),
    delivered
end
city.check("ev_energy_conserved", function()
  local r, _, road_err, grid_err, delivered = ev_books()
  return road_err <= 1e-9 * math.max(1, r.ev_start_kwh) and grid_err <= 1e-9 * math.max(1, delivered),
    ("road: %.3g kWh unaccounted of %.1f kWh set off with; chargers: %.3g kWh of %.1f kWh delivered"):format(
      road_err, r.ev_start_kwh, grid_err, delivered)
end, { every = 900 })
city.check("evs_drive_and_charge", function()
  local r, c = ev_books()
  return r.ev_inserted > 0 and c.finished > 0 and c.lost == 0 and c.charged_kwh > 0,
    ("%d EVs drove %.0f km on %.1f kWh (%.3f kWh/km); %d plugged in with %.1f kWh left of the %.1f kWh they set off " ..
      "with, %d left charged (+%.1f kWh), %d found no free charger; chargers' peak %.0f kW"):format(r.ev_inserted,
      r.ev_km, r.ev_used_kwh, r.ev_used_kwh / math.max(r.ev_km, 1e-9), c.sessions, c.plugged_in_kwh, c.set_off_kwh,
      c.finished, c.charged_kwh, c.no_charger, c.peak_kw)
end, { whole_run = true })
city.series("temperature", function() return city.env.weather_at().temp_c end, { every = 900, unit = "c" })
city.series("battery_soc", function() return city.grid.batteries()[1].soc end, { every = 900, unit = "share" })
city.series("grid_demand", function() local l = city.grid.last(); return l and l.demand_kw or 0 end,
  { every = 900, unit = "kw" })
