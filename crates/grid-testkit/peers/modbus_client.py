"""A Modbus TCP client for tests (pymodbus, pinned by scripts/install-deps): runs a list of
operations against one server and prints one JSON outcome per operation.

    python modbus_client.py --host HOST --port PORT [--source ADDR] --ops '[{"op": ...}]'

--source binds the client to a local address (127.0.0.2 … on loopback), so a test can be
several clients from one machine.

Operations: read_holding / read_input (address, count), write_register (address, value),
write_registers (address, values), write_coil (address, value), diagnostic (sub),
device_id, raw (pdu: a list of bytes sent as a request of its first byte's function).
Outcomes: {"values": [...]}, {"written": null}, {"exception": code}, {"error": "..."}.
"""
import argparse
import json
import struct

from pymodbus.client import ModbusTcpClient
from pymodbus.pdu import ExceptionResponse, ModbusRequest


class RawRequest(ModbusRequest):
    """Any PDU, sent as is (for functions the client library has no request for)."""

    def __init__(self, pdu, slave):
        super().__init__(slave=slave)
        self.function_code = pdu[0]
        self.data = bytes(pdu[1:])

    def encode(self):
        return self.data

    def get_response_pdu_size(self):
        return 0


def outcome(r):
    if isinstance(r, ExceptionResponse):
        return {"exception": r.exception_code}
    if r.isError():
        code = getattr(r, "exception_code", None)
        if code is not None:
            return {"exception": code}
        return {"error": str(r)}
    if r.function_code in (5, 6, 15, 16, 22):
        return {"written": None}
    if hasattr(r, "registers") and r.registers is not None:
        return {"values": list(r.registers)}
    if hasattr(r, "bits") and r.bits is not None:
        return {"values": [int(b) for b in r.bits]}
    return {"written": None}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ops", required=True)
    p.add_argument("--source")
    a = p.parse_args()
    ops = json.loads(a.ops)
    source = (a.source, 0) if a.source else None
    client = ModbusTcpClient(a.host, port=a.port, timeout=2, retries=0, source_address=source)
    results = []
    for op in ops:
        if not client.connected:
            client.connect()
        kind, unit = op["op"], op.get("unit", 1)
        try:
            if kind == "read_holding":
                r = client.read_holding_registers(op["address"], op.get("count", 1), slave=unit)
            elif kind == "read_input":
                r = client.read_input_registers(op["address"], op.get("count", 1), slave=unit)
            elif kind == "write_register":
                r = client.write_register(op["address"], op["value"], slave=unit)
            elif kind == "write_registers":
                r = client.write_registers(op["address"], op["values"], slave=unit)
            elif kind == "write_coil":
                r = client.write_coil(op["address"], bool(op["value"]), slave=unit)
            elif kind == "diagnostic":
                r = client.execute(RawRequest([8] + list(struct.pack(">HH", op["sub"], 0)), unit))
            elif kind == "device_id":
                r = client.read_device_information(slave=unit)
            elif kind == "raw":
                r = client.execute(RawRequest(op["pdu"], unit))
            else:
                raise SystemExit(f"unknown op {kind}")
            results.append(outcome(r))
        except Exception as e:  # noqa: BLE001 - every failure is an outcome to report
            results.append({"error": f"{type(e).__name__}: {e}"})
            client.close()
    client.close()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
