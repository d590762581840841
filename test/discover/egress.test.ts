import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileApprovals, csvFields, discoverEgress, DiscoverError, parseNginx, parseSquid, sniffFormat, type Flow } from '../../src/discover/index.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'discover');
const approvals = compileApprovals(parseYaml(readFileSync(join(fixtures, 'approved.yaml'), 'utf8')), 'approved.yaml');
const expected = JSON.parse(readFileSync(join(fixtures, 'expected-egress.json'), 'utf8')) as { lines: number; malformed: number; flows: Omit<Flow, 'first' | 'last'>[] };
const flowKey = (f: Omit<Flow, 'first' | 'last'>): string => `${f.client} ${f.domain} ${f.provider} requests=${f.requests} bytes=${f.bytes} approved=${f.approved} unapproved=${f.unapprovedRequests}`;

async function* chunksOf(text: string, size: number): AsyncGenerator<Buffer> {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

describe('discover egress', () => {
  for (const [file, format] of [['squid-access.log', 'squid'], ['nginx-access.log', 'nginx'], ['egress.csv', 'csv']] as const) {
    it(`${format}: every AI flow with its provider, counts and approval; no decoy (precision and recall)`, async () => {
      const report = await discoverEgress(createReadStream(join(fixtures, file), { highWaterMark: 97 }), { approvals });
      expect(report.format).toBe(format);
      expect(report.lines).toBe(expected.lines);
      expect(report.malformed).toBe(expected.malformed);
      const got = new Set(report.flows.map(flowKey));
      const want = new Set(expected.flows.map(flowKey));
      const tp = [...got].filter((k) => want.has(k)).length;
      expect([...got].filter((k) => !want.has(k)), 'false or wrong flows').toEqual([]);
      expect([...want].filter((k) => !got.has(k)), 'missed flows').toEqual([]);
      expect(tp / got.size).toBe(1);
      expect(tp / want.size).toBe(1);
    });
  }

  it('judges expiry at each line\'s own time and reports first and last times', async () => {
    const report = await discoverEgress(createReadStream(join(fixtures, 'squid-access.log')), { approvals });
    const f = report.flows.find((x) => x.client === '10.1.0.5')!;
    expect(f).toMatchObject({ requests: 5, unapprovedRequests: 2, approved: false, first: '2026-05-31T09:00:00.000Z', last: '2026-06-01T10:01:00.000Z' });
    const none = await discoverEgress(createReadStream(join(fixtures, 'squid-access.log')));
    expect(none.flows.filter((x) => x.approved)).toEqual([]);
  });

  it('reads nginx lines with escaped quotes, and matches IPv4-mapped IPv6 clients against IPv4 approvals', async () => {
    const line = '::ffff:10.1.0.5 - - [31/May/2026:10:00:00 +0000] "POST https://api.openai.com/v1/chat/completions HTTP/1.1" 200 512 "-" "agent \\"x\\" 1.0"\n';
    const report = await discoverEgress(chunksOf(line, 16), { approvals });
    expect(report.malformed).toBe(0);
    expect(report.flows).toEqual([expect.objectContaining({ client: '::ffff:10.1.0.5', provider: 'openai', approved: true, bytes: 512 })]);
  });

  it('refuses logs it cannot read, and bad approvals, with codes', async () => {
    await expect(discoverEgress(chunksOf('hello world\n', 4))).rejects.toMatchObject({ code: 'DISCOVER_LOG_FORMAT_UNKNOWN' });
    await expect(discoverEgress(chunksOf('', 4))).rejects.toMatchObject({ code: 'DISCOVER_LOG_INVALID' });
    await expect(discoverEgress(chunksOf('garbage\nmore garbage\n', 4), { format: 'squid' })).rejects.toMatchObject({ code: 'DISCOVER_LOG_INVALID' });
    await expect(discoverEgress(chunksOf('a,b,c\n1,2,3\n', 4), { format: 'csv' })).rejects.toMatchObject({ code: 'DISCOVER_LOG_FORMAT_UNKNOWN' });
    for (const bad of [{ approved: [{ host: 'example.com', provider: 'openai' }] }, { approved: [{ host: '10.0.0.0/33', provider: 'openai' }] }, { approved: [{ host: '10.0.0.1', provider: 'openai', expires: '2026-02-30' }] }, { approved: [{ host: '10.0.0.1' }] }, { approved: 'yes' }, { approved: [{ host: '10.0.0.1', provider: 'bedrock' }] }]) {
      expect(() => compileApprovals(bad, 'a.yaml')).toThrow(DiscoverError);
    }
    expect(compileApprovals({ approved: [{ host: 'fd00::/8', provider: 'OpenAI', expires: '2026-12-31T18:00:00Z', note: 'ignored' }] }, 'a.yaml')[0]!.provider).toBe('openai');
  });

  it('keeps memory flat on an over-long line: counted as malformed, not held', async () => {
    const line = '1780000000.000 1 10.0.0.1 TCP_MISS/200 10 GET http://api.openai.com/v1/models - HIER_DIRECT/x -';
    const text = `${line}\n${'x'.repeat(100_000)}\n${line}\n`;
    const report = await discoverEgress(chunksOf(text, 1000));
    expect(report.malformed).toBe(1);
    expect(report.flows[0]!.requests).toBe(2);
  });

  it('never throws on arbitrary lines (fuzz): parsers return a record or undefined', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (line) => {
        parseSquid(line);
        parseNginx(line);
        sniffFormat(line);
        csvFields(line);
      }),
      { numRuns: 1000 },
    );
  });

  it('splits CSV records as RFC 4180 writes them (round trip, fuzz)', () => {
    const quote = (v: string): string => (/[",]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v);
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }).filter((v) => !/[\r\n]/.test(v)), { minLength: 1, maxLength: 8 }), (values) => {
        expect(csvFields(values.map(quote).join(','))).toEqual(values.map((v) => (quote(v) === v ? v.trim() : v)));
      }),
      { numRuns: 500 },
    );
  });

  it('compiles any approvals document or refuses it with DISCOVER_APPROVALS_INVALID, never anything else (fuzz)', () => {
    const entry = fc.record({ host: fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.constant('10.0.0.0/8')), provider: fc.oneof(fc.string(), fc.constant('openai')), domains: fc.option(fc.array(fc.string()), { nil: undefined }), expires: fc.option(fc.oneof(fc.string(), fc.constant('2026-01-01')), { nil: undefined }) }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ approved: fc.array(entry, { maxLength: 4 }) })), (doc) => {
        try {
          compileApprovals(doc, 'fuzz.yaml');
        } catch (err) {
          expect(err).toBeInstanceOf(DiscoverError);
          expect((err as DiscoverError).code).toBe('DISCOVER_APPROVALS_INVALID');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary squid-shaped logs other than its own errors (fuzz)', async () => {
    const seed = '1780000000.000 1 10.0.0.1 TCP_MISS/200 10 GET http://api.openai.com/v1/models - HIER_DIRECT/x -\n';
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 120 }), { maxLength: 20 }), fc.integer({ min: 1, max: 64 }), async (lines, size) => {
        const report = await discoverEgress(chunksOf(seed + lines.join('\n'), size), { format: 'squid' });
        expect(report.lines).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});
