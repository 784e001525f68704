-- wrk script: CreatePurchaseOrder calls with a unique RequestId each, suppliers in turn.
-- Prints one JSON line at the end: requests/s, latency percentiles (ms), errors.
local template = [[<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:po="urn:example:purchasing:v1"><soap:Body><po:CreatePurchaseOrder><po:PurchaseOrder><po:RequestId>%s</po:RequestId><po:SupplierId>SUP-10%02d</po:SupplierId><po:OrderDate>2026-11-25</po:OrderDate><po:PatientMRN>MRN-0042</po:PatientMRN><po:Line><po:ItemCode>GLV-NITRILE-M</po:ItemCode><po:Qty>4</po:Qty><po:Uom>BX</po:Uom></po:Line><po:Line><po:ItemCode>SYR-10ML</po:ItemCode><po:Qty>100</po:Qty><po:Uom>EA</po:Uom></po:Line></po:PurchaseOrder></po:CreatePurchaseOrder></soap:Body></soap:Envelope>]]
local headers = { ["Content-Type"] = "text/xml; charset=utf-8",
                  ["SOAPAction"] = '"urn:example:purchasing:v1/CreatePurchaseOrder"' }
local threads = {}
local counter = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  prefix = string.format("B%d-%d-%d", id, os.time(), math.random(1, 1000000000))
end

function request()
  counter = counter + 1
  return wrk.format("POST", nil, headers, string.format(template, prefix .. "-" .. counter, counter % 12 + 1))
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests":%d,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"errors":%d,"non2xx":%d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, errors, summary.errors.status))
end
