//! Frames and requests by hand.

use super::*;

fn adu(tid: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    Frame {
        tid,
        unit,
        pdu: pdu.to_vec(),
    }
    .encode()
}

#[test]
fn frames_need_their_bytes_and_say_what_is_wrong() {
    let bytes = adu(7, 1, &[6, 0, 0, 0x04, 0xD2]);
    assert_eq!(parse(&bytes[..9]).unwrap(), None, "partial");
    let (f, used) = parse(&bytes).unwrap().unwrap();
    assert_eq!((f.tid, f.unit, used), (7, 1, 12));
    // FC06 write holding 0 (40001) = 1234.
    assert_eq!(
        decode(&f.pdu).unwrap().describe(f.unit),
        "FC06 write holding 40001 = 1234, unit 1"
    );
    let mut bad = bytes.clone();
    bad[3] = 1;
    assert_eq!(parse(&bad), Err(FrameError::Protocol(1)));
    // Length 255: a 254-byte PDU, one over the limit.
    let mut big = bytes.clone();
    big[4..6].copy_from_slice(&255u16.to_be_bytes());
    assert_eq!(parse(&big), Err(FrameError::Oversized(255)));
    let mut short = bytes;
    short[4..6].copy_from_slice(&1u16.to_be_bytes());
    assert_eq!(parse(&short), Err(FrameError::TooShort(1)));
}

#[test]
fn requests_decode_and_inconsistent_ones_are_refused() {
    assert_eq!(
        decode(&[3, 0, 10, 0, 2]).unwrap(),
        Request::Read {
            function: 3,
            table: Table::Holding,
            start: 10,
            count: 2
        }
    );
    // FC16 two registers: byte count 4.
    let w = decode(&[16, 0, 100, 0, 2, 4, 0, 1, 0xFF, 0xFF]).unwrap();
    assert_eq!(
        w.describe(2),
        "FC16 write holding 40101 = [1, 65535], unit 2"
    );
    assert!(decode(&[16, 0, 100, 0, 2, 3, 0, 1, 0xFF]).is_err());
    // FC15 ten coils in two bytes.
    let c = decode(&[15, 0, 0, 0, 10, 2, 0b0000_0101, 0b10]).unwrap();
    assert_eq!(
        c,
        Request::Write {
            function: 15,
            table: Table::Coil,
            start: 0,
            values: vec![1, 0, 1, 0, 0, 0, 0, 0, 0, 1]
        }
    );
    assert!(decode(&[5, 0, 1, 0x12, 0x34]).is_err(), "a coil value");
    assert!(decode(&[3, 0xFF, 0xFF, 0, 2]).is_err(), "past 65535");
    assert!(decode(&[3, 0, 0, 0, 126]).is_err(), "126 registers");
    assert_eq!(
        decode(&[8, 0, 1, 0, 0]).unwrap().describe(1),
        "FC08 diagnostics sub-function 1 (restart communications), unit 1"
    );
    assert_eq!(
        decode(&[43, 14, 1, 0]).unwrap(),
        Request::DeviceIdentification { code: 1 }
    );
    assert_eq!(decode(&[21, 0]).unwrap(), Request::Other { function: 21 });
    assert!(decode(&[]).is_err());
    let e = exception(
        &Frame {
            tid: 9,
            unit: 1,
            pdu: vec![6, 0, 0, 0, 1],
        },
        Exception::IllegalFunction,
    );
    assert_eq!(e.encode(), [0, 9, 0, 0, 0, 3, 1, 0x86, 1]);
}
