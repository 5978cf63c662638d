import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initCa, type LoadedCa, loadCa } from '../../daemon/tls/certificate-authority.js';
import { readRevocationList, signRevocationList } from '../../daemon/tls/revocation-list.js';
import { tempDir } from '../helpers/daemon.js';

/**
 * The revocation list is read from its DER by the daemon's own small reader (a
 * general ASN.1 library was 100 times slower). It must read every list the CA
 * signs exactly as openssl does, and refuse every list the CA did not sign.
 */
describe('revocation list', () => {
  const dir = tempDir('cortex-crl-');
  let ca: LoadedCa;
  let other: LoadedCa;
  let caPem: string;

  before(async () => {
    await Promise.all([initCa(join(dir.path, 'ca')), initCa(join(dir.path, 'other'))]);
    [ca, other] = await Promise.all([loadCa(join(dir.path, 'ca')), loadCa(join(dir.path, 'other'))]);
    caPem = ca.cert.toString('pem');
  });
  after(() => dir.remove());

  it('reads what the CA signed as the X.509 library does: number, serials and dates', async () => {
    const entries = [
      ...Array.from({ length: 300 }, (_, i) => ({
        serial: `1${randomBytes(15).toString('hex')}`,
        revoked: 1_700_000_000_000 + i * 1000,
      })),
      // Serials whose top bit is set (a leading zero byte in DER), short ones, one with leading zeros.
      { serial: 'ff', revoked: 2_524_608_000_000 },
      { serial: '7f', revoked: 946_684_800_000 },
      { serial: 'f4a', revoked: 1_000 },
    ];
    const der = await signRevocationList(ca, 70_000, entries);
    const list = readRevocationList(der, caPem);
    assert.equal(list.number, 70_000);
    assert.deepEqual(list.entries, entries);
    assert.ok(list.serials.has('ff') && list.serials.has('f4a'));

    // An independent reader (the X.509 library the CA signs with) reads the same.
    const crl = new x509.X509Crl(new Uint8Array(der), { berOptions: { maxNodes: 100_000 } });
    assert.equal(await crl.verify({ publicKey: ca.cert }), true);
    assert.deepEqual(
      crl.entries.map((entry) => [
        entry.serialNumber.toLowerCase().replace(/^0+(?=.)/, ''),
        entry.revocationDate.getTime(),
      ]),
      entries.map((entry) => [entry.serial, entry.revoked]),
    );
  });

  it('refuses a list signed by another CA, a tampered one, and garbage', async () => {
    const der = await signRevocationList(ca, 2, [{ serial: 'abc', revoked: Date.now() }]);
    const foreign = await signRevocationList(other, 3, []);
    const tampered = Buffer.from(der);
    // The serial's last byte: the list still parses, but no longer matches its signature.
    tampered[tampered.indexOf(Buffer.from([0x0a, 0xbc])) + 1] = 0xbd;
    for (const [bytes, reason] of [
      [foreign, /its signature is not this mesh's CA's/],
      [tampered, /its signature is not this mesh's CA's/],
      [der.subarray(0, 40), /runs past its end|cut short/],
      [Buffer.concat([der, Buffer.from([0])]), /bytes follow the list/],
      [randomBytes(200), /The revocation list was refused/],
    ] as const) {
      assert.throws(
        () => readRevocationList(bytes, caPem),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'EINVAL');
          assert.match(error.message, reason);
          return true;
        },
      );
    }
  });
});
