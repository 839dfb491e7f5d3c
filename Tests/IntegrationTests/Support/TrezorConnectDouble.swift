import Foundation
import SLIP0013Signing
import Support

/// A stand-in for Trezor Connect, written by the test and served by the test's nginx, never shipped:
/// `window.TrezorConnect` with `init` and `requestLogin`, signing challenges with a test key as a
/// Trezor would (SLIP-0013 digest, secp256k1 ECDSA with JavaScript BigInt, low S, header 31 + recid).
enum TrezorConnectDouble {
    enum Mode: String {
        /// Connect ≤ 9.6: the async callback form works.
        case callback
        /// Connect ≥ 9.7: the callback form is refused; the plain form works.
        case plainOnly = "plain-only"
        /// The person presses Cancel on the device.
        case cancel
    }

    static func script(signer: TestSigner, mode: Mode) -> String {
        """
        // Test double of Trezor Connect (see Tests/IntegrationTests/Support/TrezorConnectDouble.swift).
        (function () {
          'use strict';
          var MODE = '\(mode.rawValue)';
          var PUBLIC_KEY = '\(signer.publicKeyHex)';
          var ADDRESS = '\(signer.address)';
          var D = BigInt('0x\(Hex.encode(signer.privateKey))');
          var P = BigInt('0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f');
          var N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
          var G = [BigInt('0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'),
                   BigInt('0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8')];
          function mod(a, m) { var r = a % m; return r >= 0n ? r : r + m; }
          function inverse(a, m) {
            var lm = 1n, hm = 0n, low = mod(a, m), high = m;
            while (low > 1n) { var q = high / low; var nm = hm - lm * q, nw = high - low * q; hm = lm; high = low; lm = nm; low = nw; }
            return mod(lm, m);
          }
          function add(p, q) {
            if (!p) return q;
            if (!q) return p;
            var slope;
            if (p[0] === q[0]) {
              if (mod(p[1] + q[1], P) === 0n) return null;
              slope = mod(3n * p[0] * p[0] * inverse(2n * p[1], P), P);
            } else {
              slope = mod((q[1] - p[1]) * inverse(q[0] - p[0], P), P);
            }
            var x = mod(slope * slope - p[0] - q[0], P);
            return [x, mod(slope * (p[0] - x) - p[1], P)];
          }
          function multiply(k, point) {
            var result = null;
            while (k > 0n) { if (k & 1n) result = add(result, point); point = add(point, point); k >>= 1n; }
            return result;
          }
          function hexToBytes(hex) { var out = new Uint8Array(hex.length / 2); for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16); return out; }
          function bytesToBig(bytes) { var n = 0n; bytes.forEach(function (b) { n = (n << 8n) | BigInt(b); }); return n; }
          function hex32(n) { return n.toString(16).padStart(64, '0'); }
          function concat() { var parts = Array.prototype.slice.call(arguments), size = 0, at = 0; parts.forEach(function (p) { size += p.length; });
            var out = new Uint8Array(size); parts.forEach(function (p) { out.set(p, at); at += p.length; }); return out; }
          async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)); }
          async function digest(hidden, visual) {
            var text = new TextEncoder();
            var m = concat(await sha256(hexToBytes(hidden)), await sha256(text.encode(visual)));
            var message = concat(new Uint8Array([0x18]), text.encode('Bitcoin Signed Message:\\n'), new Uint8Array([0x40]), m);
            return bytesToBig(await sha256(await sha256(message)));
          }
          function sign(z) {
            for (;;) {
              var k = mod(bytesToBig(crypto.getRandomValues(new Uint8Array(32))), N);
              if (k === 0n) continue;
              var R = multiply(k, G), r = mod(R[0], N);
              if (r === 0n) continue;
              var s = mod(inverse(k, N) * (z + r * D), N);
              if (s === 0n) continue;
              var recid = Number(R[1] & 1n) | (R[0] >= N ? 2 : 0);
              if (s > N / 2n) { s = N - s; recid ^= 1; }
              return (31 + recid).toString(16) + hex32(r) + hex32(s);
            }
          }
          window.TrezorConnect = {
            init: function (settings) { window.trezorDoubleManifest = settings && settings.manifest; return Promise.resolve(); },
            requestLogin: async function (params) {
              if (MODE === 'cancel') return { success: false, payload: { error: 'Cancelled', code: 'Failure_ActionCancelled' } };
              if (params.callback) {
                if (MODE === 'plain-only') return { success: false, payload: { error: 'Invalid parameter "callback"', code: 'Method_InvalidParameter' } };
                params = await params.callback();
              }
              var z = await digest(params.challengeHidden, params.challengeVisual);
              return { success: true, payload: { address: ADDRESS, publicKey: PUBLIC_KEY, signature: sign(z) } };
            }
          };
        }());
        """
    }
}
