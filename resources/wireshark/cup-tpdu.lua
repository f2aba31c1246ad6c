-- cup-tpdu.lua: CUP-style ISO 8583 over TCP in Wireshark (techapp evidence bundles, docs/evidence.md).
--
-- On the wire every message is: 2-byte length (big-endian) | TPDU (5) | message header (6) | ISO 8583.
-- Wireshark's own ISO 8583 dissector ("iso8583") expects the MTI right after the length and has no
-- preference to skip a TPDU and header. This script shows the length, TPDU and header, and hands the
-- ISO 8583 part (with a 2-byte length of its own) to the iso8583 dissector, which decodes the fields
-- with these preferences:
--   iso8583.len_endian: Big endian
--   iso8583.charset:    Digits represented in nibbles
--   iso8583.binencode:  Bin data not encoded
-- Use:  tshark -X lua_script:cup-tpdu.lua -d tcp.port==HOSTPORT,cuptpdu -d tcp.port==1,iso8583 \
--         -o "iso8583.len_endian:Big endian" -o "iso8583.charset:Digits represented in nibbles" \
--         -o "iso8583.binencode:Bin data not encoded" -r host-traffic.pcap
-- Wireshark 4.0 does not register the iso8583 dissector by name: the script then takes it from the
-- "Decode As" table at TCP port 1 (hence -d tcp.port==1,iso8583; port 1 carries nothing in the capture).

local p = Proto("cuptpdu", "CUP TPDU and message header")
local f_len = ProtoField.uint16("cuptpdu.len", "Length", base.DEC)
local f_tpdu = ProtoField.bytes("cuptpdu.tpdu", "TPDU")
local f_header = ProtoField.bytes("cuptpdu.header", "Message header")
p.fields = { f_len, f_tpdu, f_header }

local iso = nil
local function iso8583()
  if iso == nil then
    local ok, d = pcall(Dissector.get, "iso8583")
    if ok and d ~= nil then
      iso = d
    else
      iso = DissectorTable.get("tcp.port"):get_dissector(1)
    end
  end
  return iso
end

function p.dissector(tvb, pinfo, tree)
  local offset, total = 0, tvb:len()
  while offset < total do
    if total - offset < 2 then
      pinfo.desegment_offset = offset
      pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
      return total
    end
    local n = tvb(offset, 2):uint()
    if total - offset < n + 2 then
      pinfo.desegment_offset = offset
      pinfo.desegment_len = n + 2 - (total - offset)
      return total
    end
    local sub = tree:add(p, tvb(offset, n + 2))
    sub:add(f_len, tvb(offset, 2))
    if n >= 11 then
      sub:add(f_tpdu, tvb(offset + 2, 5))
      sub:add(f_header, tvb(offset + 7, 6))
    end
    local m = n - 11
    local d = iso8583()
    if m > 0 and d ~= nil then
      local ba = ByteArray.new()
      ba:set_size(2)
      ba:set_index(0, math.floor(m / 256))
      ba:set_index(1, m % 256)
      ba:append(tvb(offset + 13, m):bytes())
      d:call(ba:tvb("ISO 8583 message"), pinfo, tree)
    end
    offset = offset + n + 2
  end
  return total
end

DissectorTable.get("tcp.port"):add_for_decode_as(p)
