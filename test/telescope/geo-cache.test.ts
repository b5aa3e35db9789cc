import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeAsnCache, encodeAsnCache, parseAsnCsv } from '../../src/telescope/geo.js';

test('the AS cache round trip keeps every range and organisation name (UTF-8, quotes, commas)', () => {
  const csv = [
    '1.0.0.0,1.0.0.255,13335,CLOUDFLARENET',
    '2.16.0.0,2.16.255.255,20940,"Akamai International, B.V."',
    '5.8.0.0,5.8.7.255,64500,Société "Exemple"',
    '16777216,16777471,13335,CLOUDFLARENET',
    'bad line',
  ].join('\n');
  const { table, badLines } = parseAsnCsv(csv);
  assert.equal(badLines, 1);
  const back = decodeAsnCache(encodeAsnCache(table));
  assert.deepEqual([...back.starts], [...table.starts]);
  assert.deepEqual([...back.ends], [...table.ends]);
  assert.deepEqual([...back.asns], [...table.asns]);
  assert.equal(back.lookup(0x02100001), 20940);
  assert.equal(back.org(20940), 'Akamai International, B.V.');
  assert.equal(back.org(64500), 'Société "Exemple"');
  assert.equal(back.org(13335), 'CLOUDFLARENET');
  assert.equal(back.org(99999), '');
  // and a cache of a cache is byte-identical
  assert.deepEqual(encodeAsnCache(back), encodeAsnCache(table));
});

test('property: organisation names decode to what was stored; a truncated cache is refused', () => {
  fc.assert(fc.property(fc.uniqueArray(fc.tuple(fc.nat(4_000_000), fc.string({ maxLength: 20 })), { selector: (t) => t[0], maxLength: 40 }), (entries) => {
    const lines = entries.map(([asn, name], i) => `${i * 256},${i * 256 + 255},${asn},"${name.replace(/"/g, '""').replace(/[\r\n]/g, ' ')}"`);
    const { table } = parseAsnCsv(lines.join('\n'));
    const bin = encodeAsnCache(table);
    const back = decodeAsnCache(bin);
    for (const [asn] of entries) assert.equal(back.org(asn), table.org(asn));
    assert.throws(() => decodeAsnCache(bin.subarray(0, bin.length - 1)), /bad AS cache/);
  }), { numRuns: 100 });
});
