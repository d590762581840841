import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ModelCard } from './card.js';
import { RegistryError } from './errors.js';

/** What the export needs of a registered version. */
export interface CardSubject {
  name: string;
  version: string;
  rootDigest: string;
  card: ModelCard;
}

// ajv-formats is CommonJS: its default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
let validator: ValidateFunction | undefined;

/**
 * The official CycloneDX 1.6 JSON Schema, as `@cyclonedx/cyclonedx-library` ships it (with the SPDX licence-id and
 * JSF schemas it references), compiled once.
 */
function bomValidator(): ValidateFunction {
  if (validator === undefined) {
    const dir = join(dirname(createRequire(import.meta.url).resolve('@cyclonedx/cyclonedx-library/package.json')), 'res', 'schema');
    const load = (f: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
    // The library's copies refer to each other as `*.SNAPSHOT.schema.json`, relative to the BOM schema's $id; the
    // referenced schemas are registered under those names (their own $id, without SNAPSHOT, set aside).
    const referenced = (f: string): object => ({ ...load(f), $id: `http://cyclonedx.org/schema/${f}` });
    const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema(referenced('spdx.SNAPSHOT.schema.json'));
    ajv.addSchema(referenced('jsf-0.82.SNAPSHOT.schema.json'));
    validator = ajv.compile(load('bom-1.6.SNAPSHOT.schema.json'));
  }
  return validator;
}

/** Checks a document against the CycloneDX 1.6 schema; undefined when it conforms, else the first problem. */
export function cyclonedxProblem(bom: unknown): string | undefined {
  const v = bomValidator();
  if (v(bom)) return undefined;
  const e = v.errors?.[0];
  return e === undefined ? 'does not match the CycloneDX 1.6 schema' : `${e.instancePath || 'the document'} ${e.message ?? 'is invalid'}`;
}

/**
 * A CycloneDX 1.6 ML-BOM: one `machine-learning-model` component carrying the card as `modelCard`. Fields the
 * modelCard has no place for (out-of-scope uses, owners) go in `properties`, as the spec suggests.
 */
export function cyclonedxBom(s: CardSubject, serial: string, now: Date): object {
  const c = s.card;
  const ref = `model:${s.name}@${s.version}`;
  const modelCard = {
    'bom-ref': `${ref}#card`,
    modelParameters: {
      ...(c.approach === undefined ? {} : { approach: { type: c.approach } }),
      ...(c.task === undefined ? {} : { task: c.task }),
      ...(c.architecture === undefined ? {} : { architectureFamily: c.architecture }),
      datasets: c.trainingData.map((d) => ({ type: 'dataset', name: d.name, description: d.source, ...(/^https?:\/\//.test(d.source) ? { contents: { url: d.source } } : {}) })),
    },
    quantitativeAnalysis: { performanceMetrics: c.metrics.map((m) => ({ type: m.name, value: String(m.value), ...(m.slice === undefined ? {} : { slice: m.slice }) })) },
    considerations: { useCases: c.intendedUses, technicalLimitations: c.limitations },
    properties: [...c.outOfScopeUses.map((u) => ({ name: 'palisade:outOfScopeUse', value: u })), ...c.owners.map((o) => ({ name: 'palisade:owner', value: o.contact === undefined ? o.name : `${o.name} <${o.contact}>` }))],
  };
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${serial}`,
    version: 1,
    metadata: { timestamp: now.toISOString(), tools: { components: [{ type: 'application', name: 'palisade' }] } },
    components: [
      {
        type: 'machine-learning-model',
        'bom-ref': ref,
        name: s.name,
        version: s.version,
        description: c.description,
        // The OMS root digest is a SHA-256 over the files' digests, not of one file: named in a property too.
        hashes: [{ alg: 'SHA-256', content: s.rootDigest }],
        licenses: [{ expression: c.license }],
        properties: [{ name: 'palisade:omsRootDigest', value: s.rootDigest }],
        modelCard,
      },
    ],
  };
}

/** The BOM, refused if it does not conform to the official schema (a bug, or a card field out of its range). */
export function exportCyclonedx(s: CardSubject, serial: string, now: Date): object {
  const bom = cyclonedxBom(s, serial, now);
  const problem = cyclonedxProblem(bom);
  if (problem !== undefined) throw new RegistryError('REGISTRY_EXPORT_INVALID', `the CycloneDX export of ${s.name}@${s.version} does not conform to CycloneDX 1.6: ${problem}`);
  return bom;
}
