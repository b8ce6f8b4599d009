-- A 22.9 kV distribution grid laid along the streets of the loaded road
-- network: one bus per street junction, one cable per street between two
-- junctions (its length the street's), grown as a shortest-path tree from a
-- substation at the junction nearest (sub_x, sub_y), so the grid is radial.
-- Each building hangs on the junction nearest its centroid; branches that
-- feed no building are left out. Every child of the substation starts a
-- feeder ("F1", "F2", ... in order of their junction ids). A street segment
-- carries as many circuits of the cable (ACSR 160 mm2: 0.182 + j0.391 ohm/km,
-- 12 MVA each) as keep it under 60 % loading at the load it feeds downstream
-- (the planning margin that lets a neighbour take it over).
--   local F = require("street_feeder")
--   local g = F.build{ buildings = list, sub_x =, sub_y =, w_per_m2 = 40 }
-- returns { sub = bus id, buses = { {id, x, y, feeder, kw, members = {b...}} } (the substation's own bus first,
--           without a feeder), trunks = { {feeder, line, bus} }, lines = n,
--           street_m = { [bus id] = m of street its cable runs along } }
local M = {}

local KV, CABLE_KVA, MARGIN = 22.9, 12000, 0.6
local R_OHM_KM, X_OHM_KM, B_US_KM = 0.182, 0.391, 2.9

-- junctions and undirected street graph from city.road.edges()
local function street_graph()
  local nodes, adj, order = {}, {}, {}
  for _, e in ipairs(city.road.edges()) do
    if e.passenger and e.from ~= e.to then
      for _, j in ipairs{ { e.from, e.x0, e.y0 }, { e.to, e.x1, e.y1 } } do
        if not nodes[j[1]] then
          nodes[j[1]] = { id = j[1], x = j[2], y = j[3] }
          order[#order + 1] = j[1]
          adj[j[1]] = {}
        end
      end
      adj[e.from][#adj[e.from] + 1] = { to = e.to, len = e.length }
      adj[e.to][#adj[e.to] + 1] = { to = e.from, len = e.length }
    end
  end
  table.sort(order)
  return nodes, adj, order
end

-- shortest-path tree from root (Dijkstra on a list: a few hundred junctions)
local function tree(adj, order, root)
  local dist, parent, plen, done = { [root] = 0 }, {}, {}, {}
  for _ = 1, #order do
    local u, best = nil, math.huge
    for _, id in ipairs(order) do
      if not done[id] and dist[id] and dist[id] < best then u, best = id, dist[id] end
    end
    if not u then break end
    done[u] = true
    for _, a in ipairs(adj[u]) do
      local d = best + a.len
      if not dist[a.to] or d < dist[a.to] then dist[a.to], parent[a.to], plen[a.to] = d, u, a.len end
    end
  end
  return dist, parent, plen
end

function M.build(o)
  local nodes, adj, order = street_graph()
  local root, rd = nil, math.huge
  for _, id in ipairs(order) do
    local d = (nodes[id].x - o.sub_x) ^ 2 + (nodes[id].y - o.sub_y) ^ 2
    if d < rd then root, rd = id, d end
  end
  local dist, parent, plen = tree(adj, order, root)
  local reach = {}
  for _, id in ipairs(order) do
    if dist[id] then reach[#reach + 1] = id end
  end
  -- buildings to their nearest reachable junction (100 m buckets, then a ring search)
  local CELL, bucket = 100, {}
  local function key(x, y) return math.floor(x / CELL) * 100000 + math.floor(y / CELL) end
  for _, id in ipairs(reach) do
    local k = key(nodes[id].x, nodes[id].y)
    bucket[k] = bucket[k] or {}
    table.insert(bucket[k], id)
  end
  local kw, members = {}, {}
  for _, b in ipairs(o.buildings) do
    local best, bd = nil, math.huge
    local cx, cy = math.floor(b.x / CELL), math.floor(b.y / CELL)
    for ring = 0, 20 do
      for i = cx - ring, cx + ring do
        for j = cy - ring, cy + ring do
          if math.max(math.abs(i - cx), math.abs(j - cy)) == ring then
            for _, id in ipairs(bucket[i * 100000 + j] or {}) do
              local d = (nodes[id].x - b.x) ^ 2 + (nodes[id].y - b.y) ^ 2
              if d < bd or (d == bd and id < best) then best, bd = id, d end
            end
          end
        end
      end
      if best and math.sqrt(bd) <= ring * CELL then break end
    end
    kw[best] = (kw[best] or 0) + b.area_m2 * o.w_per_m2 / 1000
    members[best] = members[best] or {}
    table.insert(members[best], b)
  end
  -- keep the junctions on the way to a load; downstream load per junction
  local keep, down = { [root] = true }, {}
  for _, id in ipairs(reach) do
    if kw[id] then
      local u = id
      while u do
        keep[u] = true
        down[u] = (down[u] or 0) + kw[id]
        u = parent[u]
      end
    end
  end
  -- bus ids: the substation is 1, then kept junctions by distance (parents first)
  local kept = {}
  for _, id in ipairs(reach) do
    if keep[id] and id ~= root then kept[#kept + 1] = id end
  end
  table.sort(kept, function(a, b) return dist[a] < dist[b] or (dist[a] == dist[b] and a < b) end)
  local bus_of, feeder_of, heads = { [root] = 1 }, {}, {}
  for i, id in ipairs(kept) do bus_of[id] = i + 1 end
  local head_ids = {}
  for _, id in ipairs(kept) do
    if parent[id] == root then head_ids[#head_ids + 1] = id end
  end
  table.sort(head_ids)
  for k, id in ipairs(head_ids) do feeder_of[id] = "F" .. k end
  city.grid.bus{ id = 1, type = "slack", kv = KV, vm_pu = 1.02, x = nodes[root].x, y = nodes[root].y }
  local g = { sub = 1, buses = {}, trunks = {}, lines = 0, street_m = { [1] = 0 } }
  g.buses[1] = { id = 1, x = nodes[root].x, y = nodes[root].y, kw = kw[root] or 0, members = members[root] or {},
                 down_kw = down[root] }
  for _, id in ipairs(kept) do
    if not feeder_of[id] then feeder_of[id] = feeder_of[parent[id]] end
    local bus = bus_of[id]
    city.grid.bus{ id = bus, kv = KV, x = nodes[id].x, y = nodes[id].y, feeder = feeder_of[id] }
    local n = math.max(1, math.ceil(down[id] / (MARGIN * CABLE_KVA)))
    local km = math.max(0.02, plen[id] / 1000)
    city.grid.line{ id = bus, from = bus_of[parent[id]], to = bus, r_ohm = R_OHM_KM / n, x_ohm = X_OHM_KM / n,
                    b_us = B_US_KM * n, length_km = km, rate_kva = CABLE_KVA * n }
    g.lines = g.lines + 1
    g.street_m[bus] = plen[id]
    g.buses[#g.buses + 1] = { id = bus, x = nodes[id].x, y = nodes[id].y, feeder = feeder_of[id],
                              kw = kw[id] or 0, members = members[id] or {}, down_kw = down[id] }
    if parent[id] == root then g.trunks[#g.trunks + 1] = { feeder = feeder_of[id], line = bus, bus = bus } end
  end
  table.sort(g.trunks, function(a, b) return a.feeder < b.feeder end)
  return g
end

return M
