--[[ tsv.lua -- pandoc Lua filter (pandoc >= 2.11) that fills a report's tables and numbers from
TSV files, so that no result in a report is typed by hand.

Metadata strings are referenced as {name} in attribute values and image paths; the Makefile
passes them with -M (D = data/<profile>, F = its fit folder, FIG = the figure folder, EXT = the
figure format, profile, MODELS, ...).  An unknown {name} is an error.

Table (fenced div; its first paragraph, if any, becomes the caption; the id, if any, goes to a
div around the table in HTML output):

    ::: {.tsv #tab-r2 file="{F}/flops.coef.tsv" columns="group:Model,r2:R²" where="group!=ALL" fmt="%.4f"}
    Caption text, may hold [inline]{.tsv ...} numbers.
    :::

  file     the TSV (first line = header)
  columns  comma-separated columns in output order, each "name" or "name:Heading" (default: all)
  where    row filter: conditions separated by ";", each col=v1|v2, col!=v1|v2 or col~luapattern
  fmt      number format: "%.4f" for every numeric cell, or per column "r2=%.4f;n=%d;*=%.3g"
           (an item without "col=" is the default, e.g. "%.4f;n=%d")
  sort     column to sort by, numerically when it is numeric ("-col" for descending)
  empty    the text to print instead when no row matches (default: an error)
A code block with class tsv and the same attributes is a table without caption.

Inline number:

    [ ]{.tsv file="{F}/flops.coef.tsv" row=ALL col=r2 fmt=%.4f}

  row      the value of the first column (or use where=... as above); exactly one row must match
  col      the column to print
  agg      instead of one row: sum, mean, min or max of col over the rows matching where (count:
           the number of those rows);
           argmin / argmax: the first column (or column ret=...) of the row where col is smallest
           / largest
  fmt      printf format for a number (default: the cell as written)

  md       md=1: the cell is markdown (a generated sentence with **bold** or `code`), parsed
Cells and values "nan", "-" print as "—", "inf" as "∞" (never the words).

List of generated sentences (a bullet per matching row, each cell parsed as markdown):

    ::: {.tsv-list file="{RD}/verdicts_acc.tsv" col=text where="key=INT|POT|FLOAT"}
    :::

Inline metadata value: [ ]{.meta name=profile}.

Repetition (expanded before anything else):

    ::: {.foreach over="{MODELS}" as="model"}
    ![{model}](...{model}...)
    :::

repeats the div's content once per word of `over`, replacing {model} in text, attributes and
image sources.

Errors (missing file, column or row, several rows for one number, missing image) stop pandoc
with a message naming the file and the attribute, so a broken report is never written.
]]

local meta_vars = {}

local function fail(msg)
  error("tsv.lua: " .. msg, 0)
end

-- pandoc percent-encodes the braces of {name} in image and link targets
local function unescape_braces(s)
  return (s:gsub("%%7[Bb]", "{"):gsub("%%7[Dd]", "}"))
end

-- {name} -> metadata value (extra: table of additional names, e.g. the foreach variable)
local function subst(s, extra, strict)
  return (s:gsub("{([%w_]+)}", function(name)
    if extra and extra[name] then return extra[name] end
    if meta_vars[name] then return meta_vars[name] end
    if strict then fail("unknown metadata variable {" .. name .. "} in '" .. s .. "'") end
    return nil
  end))
end

---------------------------------------------------------------------------------------------------
-- TSV reading (cached)

local cache = {}

local function split_tabs(line)
  local out, start = {}, 1
  while true do
    local i = line:find("\t", start, true)
    if not i then out[#out + 1] = line:sub(start); break end
    out[#out + 1] = line:sub(start, i - 1)
    start = i + 1
  end
  return out
end

local function read_tsv(path)
  if cache[path] then return cache[path] end
  local f = io.open(path, "r")
  if not f then fail("cannot open " .. path) end
  local t = { header = nil, index = {}, rows = {}, path = path }
  for line in f:lines() do
    line = line:gsub("\r$", "")
    if not t.header then
      t.header = split_tabs(line)
      for i, name in ipairs(t.header) do t.index[name] = i end
    elseif line ~= "" then
      t.rows[#t.rows + 1] = split_tabs(line)
    end
  end
  f:close()
  if not t.header then fail(path .. ": empty file") end
  cache[path] = t
  return t
end

local function col_index(t, name)
  local i = t.index[name]
  if not i then
    fail(t.path .. ": no column '" .. name .. "' (columns: " .. table.concat(t.header, ", ") .. ")")
  end
  return i
end

---------------------------------------------------------------------------------------------------
-- Row selection, formatting

local function split(s, sep)
  local out = {}
  for part in (s .. sep):gmatch("(.-)" .. sep:gsub("%p", "%%%0")) do out[#out + 1] = part end
  return out
end

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- list of predicates from "a=x|y;b!=z;c~pat"
local function parse_where(t, where)
  local preds = {}
  if not where or where == "" then return preds end
  for _, cond in ipairs(split(where, ";")) do
    cond = trim(cond)
    if cond ~= "" then
      local name, op, val = cond:match("^([^!=~]+)(!?[=~])(.*)$")
      if not name then fail(t.path .. ": bad where condition '" .. cond .. "'") end
      local ci = col_index(t, trim(name))
      if op == "~" then
        preds[#preds + 1] = function(row) return row[ci]:match(val) ~= nil end
      else
        local set = {}
        for _, v in ipairs(split(val, "|")) do set[v] = true end
        local negate = op == "!="
        preds[#preds + 1] = function(row) return (set[row[ci]] == true) ~= negate end
      end
    end
  end
  return preds
end

local function select_rows(t, where)
  local preds, out = parse_where(t, where), {}
  for _, row in ipairs(t.rows) do
    local keep = true
    for _, p in ipairs(preds) do if not p(row) then keep = false; break end end
    if keep then out[#out + 1] = row end
  end
  return out
end

local function is_number(s)
  return s ~= nil and tonumber(s) ~= nil
end

-- "%.4f" or "r2=%.4f;n=%d;*=%.3g" -> function(column name) -> format or nil
local function parse_fmt(fmt)
  if not fmt or fmt == "" then return function() return nil end end
  if not fmt:find("=", 1, true) then return function() return fmt end end
  local map = {}
  for _, item in ipairs(split(fmt, ";")) do
    local k, v = item:match("^%s*([^=%%]+)=(.*)$")
    if k then map[trim(k)] = v elseif trim(item) ~= "" then map["*"] = trim(item) end
  end
  return function(name) return map[name] or map["*"] end
end

-- cells that hold no number: shown as a dash (not defined, e.g. a failed fit or a value the
-- source does not give) or infinity, never as the words "nan" / "inf"
local function undefined_text(s)
  if s == nil then return nil end
  local l = s:lower()
  if l == "nan" or l == "-nan" or l == "-" then return "—" end
  if l == "inf" or l == "+inf" then return "∞" end
  if l == "-inf" then return "−∞" end
  return nil
end

local function format_cell(s, f)
  local u = undefined_text(s)
  if u then return u end
  if not f or not is_number(s) then return s end
  local v = tonumber(s)
  if f:match("d$") then v = math.floor(v + 0.5) end
  local ok, out = pcall(string.format, f, v)
  if not ok then fail("bad number format '" .. f .. "'") end
  if out:match("^%-0[.0]*$") then out = out:sub(2) end        -- no "-0.0000"
  return out
end

---------------------------------------------------------------------------------------------------
-- Tables

local function plain(s) return { pandoc.Plain({ pandoc.Str(s) }) } end

local function make_table(attr, caption_inlines)
  local a = {}
  for k, v in pairs(attr.attributes) do a[k] = subst(v, nil, true) end
  if not a.file then fail("table without file=") end
  local t = read_tsv(a.file)
  local rows = select_rows(t, a.where)
  if a.sort and a.sort ~= "" then
    local key, desc = a.sort, false
    if key:sub(1, 1) == "-" then key, desc = key:sub(2), true end
    local ci = col_index(t, key)
    table.sort(rows, function(x, y)
      local u, v = tonumber(x[ci]), tonumber(y[ci])
      if u and v then if desc then return u > v else return u < v end end
      if desc then return x[ci] > y[ci] else return x[ci] < y[ci] end
    end)
  end
  local cols = {}
  if a.columns and a.columns ~= "" then
    for _, spec in ipairs(split(a.columns, ",")) do
      local name, head = spec:match("^%s*([^:]+):(.*)$")
      name = trim(name or spec)
      cols[#cols + 1] = { i = col_index(t, name), name = name, head = head and trim(head) or name }
    end
  else
    for i, name in ipairs(t.header) do cols[#cols + 1] = { i = i, name = name, head = name } end
  end
  if #rows == 0 then
    if a.empty then return pandoc.Para({ pandoc.Str(a.empty) }) end
    fail(a.file .. ": no row matches where='" .. (a.where or "") .. "'")
  end
  local fmt = parse_fmt(a.fmt)
  local headers, aligns, widths, body = {}, {}, {}, {}
  for k, c in ipairs(cols) do
    local numeric = true
    for _, row in ipairs(rows) do
      local v = row[c.i] or ""
      if not is_number(v) and v ~= "nan" and v ~= "-" and v ~= "inf" then numeric = false end
    end
    headers[k] = plain(c.head)
    aligns[k] = numeric and pandoc.AlignRight or pandoc.AlignLeft
    widths[k] = 0
  end
  for r, row in ipairs(rows) do
    local cells = {}
    for k, c in ipairs(cols) do cells[k] = plain(format_cell(row[c.i] or "", fmt(c.name))) end
    body[r] = cells
  end
  local simple = pandoc.SimpleTable(caption_inlines or {}, aligns, widths, headers, body)
  local tbl = pandoc.utils.from_simple_table(simple)
  if attr.identifier ~= "" and FORMAT:match("html") then
    return pandoc.Div({ tbl }, pandoc.Attr(attr.identifier, { "tsv-table" }))
  end
  return tbl
end

---------------------------------------------------------------------------------------------------
-- Inline numbers

local function inline_value(attr)
  local a = {}
  for k, v in pairs(attr.attributes) do a[k] = subst(v, nil, true) end
  if not a.file then fail("inline .tsv without file=") end
  if not a.col then fail(a.file .. ": inline .tsv without col=") end
  local t = read_tsv(a.file)
  local where = a.where
  if a.row then
    where = t.header[1] .. "=" .. a.row .. (where and (";" .. where) or "")
  end
  local rows = select_rows(t, where)
  local ci = col_index(t, a.col)
  local what = a.file .. " col=" .. a.col .. " where='" .. (where or "") .. "'"
  local value
  if a.agg == "argmin" or a.agg == "argmax" then
    local best, bi = nil, nil
    for _, row in ipairs(rows) do
      local v = tonumber(row[ci])
      if v and v == v and (best == nil or (a.agg == "argmin" and v < best) or (a.agg == "argmax" and v > best)) then
        best, bi = v, row
      end
    end
    if not bi then fail(what .. ": no numeric value for " .. a.agg) end
    return bi[a.ret and col_index(t, a.ret) or 1]
  end
  if a.agg then
    local n, acc = 0, nil
    for _, row in ipairs(rows) do
      local v = tonumber(row[ci])
      if v and v == v then
        n = n + 1
        if a.agg == "sum" or a.agg == "mean" then acc = (acc or 0) + v
        elseif a.agg == "min" then acc = (acc and math.min(acc, v)) or v
        elseif a.agg == "max" then acc = (acc and math.max(acc, v)) or v
        elseif a.agg ~= "count" then fail(what .. ": unknown agg '" .. a.agg .. "'") end
      end
    end
    if a.agg == "count" then value = tostring(#rows)
    elseif n == 0 then fail(what .. ": no numeric value to " .. a.agg)
    elseif a.agg == "mean" then value = string.format("%.17g", acc / n)
    else value = string.format("%.17g", acc) end
  else
    if #rows ~= 1 then fail(what .. ": " .. #rows .. " rows match, expected exactly one") end
    value = rows[1][ci]
  end
  return format_cell(value, a.fmt)
end

---------------------------------------------------------------------------------------------------
-- Generated sentences (markdown in a cell)

function markdown_inlines(text)
  local blocks = pandoc.read(text, "markdown").blocks
  if #blocks == 0 then return pandoc.Str("") end
  if #blocks > 1 or (blocks[1].t ~= "Para" and blocks[1].t ~= "Plain") then
    fail("inline md=1 value is not one paragraph: " .. text)
  end
  return pandoc.Span(blocks[1].content)
end

function make_list(attr)
  local a = {}
  for k, v in pairs(attr.attributes) do a[k] = subst(v, nil, true) end
  if not a.file or not a.col then fail("tsv-list needs file= and col=") end
  local t = read_tsv(a.file)
  local rows, ci = select_rows(t, a.where), col_index(t, a.col)
  if #rows == 0 then fail(a.file .. ": no row matches where='" .. (a.where or "") .. "'") end
  local items = {}
  for _, row in ipairs(rows) do items[#items + 1] = pandoc.read(row[ci] or "", "markdown").blocks end
  local list = pandoc.BulletList(items)
  if attr.identifier ~= "" and FORMAT:match("html") then
    return pandoc.Div({ list }, pandoc.Attr(attr.identifier, { "verdicts" }))
  end
  return list
end

---------------------------------------------------------------------------------------------------
-- foreach expansion

local function expand_foreach(div)
  local over = subst(div.attributes.over or "", nil, true)
  local var = div.attributes.as or "item"
  local out = {}
  for word in over:gmatch("%S+") do
    local extra = { [var] = word }
    local function fix_attr(el)
      for k, v in pairs(el.attributes) do el.attributes[k] = subst(v, extra, false) end
      el.identifier = subst(el.identifier, extra, false)
      return el
    end
    local copy = pandoc.walk_block(pandoc.Div(div.content), {
      Str = function(el) return pandoc.Str(subst(el.text, extra, false)) end,
      Image = function(el) el.src = subst(unescape_braces(el.src), extra, false); return fix_attr(el) end,
      Link = function(el) el.target = subst(unescape_braces(el.target), extra, false); return fix_attr(el) end,
      Span = fix_attr,
      Div = fix_attr,
      CodeBlock = fix_attr,
    })
    for _, b in ipairs(copy.content) do out[#out + 1] = b end
  end
  return out
end

---------------------------------------------------------------------------------------------------
-- Filters, in order: read the metadata; expand foreach; fill tables, numbers and image paths.

local function has_class(el, c)
  for _, x in ipairs(el.classes) do if x == c then return true end end
  return false
end

local function file_exists(path)
  local f = io.open(path, "r")
  if f then f:close(); return true end
  return false
end

return {
  {
    Meta = function(m)
      for k, v in pairs(m) do meta_vars[k] = pandoc.utils.stringify(v) end
    end,
  },
  {
    Div = function(div)
      if has_class(div, "foreach") then return expand_foreach(div) end
    end,
  },
  {
    Span = function(el)
      if has_class(el, "tsv") then
        local v = inline_value(el.attr)
        if el.attributes.md == "1" then return markdown_inlines(v) end
        return pandoc.Str(v)
      end
      if has_class(el, "meta") then
        local name = el.attributes.name
        if not name or not meta_vars[name] then fail("unknown metadata in [ ]{.meta name=" .. tostring(name) .. "}") end
        return pandoc.Str(meta_vars[name])
      end
    end,
    Image = function(el)
      el.src = subst(unescape_braces(el.src), nil, true)
      local base = meta_vars.base and meta_vars.base ~= "" and (meta_vars.base .. "/") or ""
      if not el.src:match("^%a+:") and not file_exists(base .. el.src) then
        fail("image not found: " .. base .. el.src)
      end
      return el
    end,
    Link = function(el)
      el.target = subst(unescape_braces(el.target), nil, true)
      return el
    end,
  },
  {
    Div = function(div)
      if has_class(div, "tsv-list") then return make_list(div.attr) end
      if has_class(div, "tsv") then
        local caption = nil
        local first = div.content[1]
        if first and (first.t == "Para" or first.t == "Plain") then caption = first.content end
        return make_table(div.attr, caption)
      end
    end,
    CodeBlock = function(cb)
      if has_class(cb, "tsv") then return make_table(cb.attr, nil) end
    end,
  },
}
