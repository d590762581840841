import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferBlob } from '../../../../src/model/scan/blob.js';
import { readRootAttributes, type Hdf5Root } from '../../../../src/model/scan/formats/hdf5.js';
import { Hdf5Error } from '../../../../src/model/scan/formats/hdf5-error.js';
import { DEFAULT_HDF5_LIMITS } from '../../../../src/model/scan/formats/hdf5-file.js';
import {
  attributeBody,
  attributeBodyV2,
  continuation,
  dataspace,
  datatype,
  fixedStringAttribute,
  globalHeap,
  H5Builder,
  le,
  MSG,
  v1Header,
  v1Messages,
  v2Continuation,
  v2Header,
  vlenStringAttribute,
} from './hdf5-builder.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/model/keras');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));
const WANTED = new Set(['model_config', 'training_config', 'keras_version', 'backend']);

const read = (bytes: Uint8Array, limits = DEFAULT_HDF5_LIMITS): Promise<Hdf5Root> => readRootAttributes(new BufferBlob(bytes), WANTED, limits);
const text = (root: Hdf5Root, name: string): string | undefined => {
  const v = root.attributes.find((a) => a.name === name)?.value;
  return v?.kind === 'string' ? Buffer.from(v.bytes).toString('utf8') : undefined;
};
const attr = (name: string, value: string) => ({ type: MSG.attribute, body: fixedStringAttribute(name, value) });

describe('readRootAttributes on files written by h5py', () => {
  it('reads variable-length strings from the global heap (h5py 3, the Keras 2 default)', async () => {
    const root = await read(fixture('sequential.h5'));
    expect(root.superblock.version).toBe(0);
    expect(root.attributes.map((a) => a.name)).toEqual(['keras_version', 'backend', 'model_config', 'training_config']);
    expect(text(root, 'keras_version')).toBe('2.11.0');
    expect(JSON.parse(text(root, 'model_config')!).class_name).toBe('Sequential');
    expect(JSON.parse(text(root, 'training_config')!).optimizer_config.class_name).toBe('Custom>Adam');
    expect(root.issues).toEqual([]);
  });

  it('reads fixed-length strings (h5py 2 layout)', async () => {
    const root = await read(fixture('functional.h5'));
    expect(JSON.parse(text(root, 'model_config')!).class_name).toBe('Functional');
    expect(root.issues).toEqual([]);
  });

  it('reads a > 64 KiB config from the global heap', async () => {
    const root = await read(fixture('large-vlen.h5'));
    const config = text(root, 'model_config')!;
    expect(config.length).toBeGreaterThan(64 * 1024);
    expect(JSON.parse(config).config.layers.at(-1).config.name).toBe('lambda_tail');
  });

  it('reads a > 64 KiB fixed-length config from dense storage (fractal heap huge object, v2 B-trees)', async () => {
    const root = await read(fixture('large-dense.h5'));
    expect(root.superblock.version).toBe(3);
    const config = text(root, 'model_config')!;
    expect(config.length).toBeGreaterThan(64 * 1024);
    expect(JSON.parse(config).config.layers.at(-1).config.name).toBe('lambda_tail');
    expect(root.issues).toEqual([]);
  });

  it('reads dense attributes stored as managed objects under an indirect root block', async () => {
    const root = await read(fixture('many-attributes.h5'));
    expect(root.attributes).toHaveLength(16);
    expect(JSON.parse(text(root, 'model_config')!).class_name).toBe('Sequential');
    expect(text(root, 'backend')).toBe('tensorflow');
    // Attributes not asked for are listed by name, their values never read.
    expect(root.attributes.find((a) => a.name === 'note_00')?.value).toBeUndefined();
    expect(root.issues).toEqual([]);
  });

  it('honours a user block: the signature at 512 and addresses relative to it', async () => {
    const root = await read(fixture('userblock.h5'));
    expect(root.superblock).toMatchObject({ signatureAt: 512, baseAddress: 512 });
    expect(text(root, 'keras_version')).toBe('2.11.0');
  });

  it('finds no attributes in a Keras 3 model.weights.h5', async () => {
    const root = await read(fixture('model.weights.h5'));
    expect(root.attributes).toEqual([]);
    expect(root.issues).toEqual([]);
  });
});

describe('readRootAttributes on hand-built structures', () => {
  it('reads superblock version 1 and a version 2 superblock with an OHDR header', async () => {
    const b1 = new H5Builder(1);
    const f1 = b1.finish(b1.place(v1Header([attr('model_config', '{"v": 1}')])));
    expect(text(await read(f1), 'model_config')).toBe('{"v": 1}');

    const b2 = new H5Builder(2);
    const f2 = b2.finish(b2.place(v2Header([attr('model_config', '{"v": 2}')])));
    const root = await read(f2);
    expect(root.superblock.version).toBe(2);
    expect(text(root, 'model_config')).toBe('{"v": 2}');
  });

  it('finds the signature after a 1024-byte user block', async () => {
    const b = new H5Builder(0, 1024);
    const root = await read(b.finish(b.place(v1Header([attr('backend', 'tensorflow')]))));
    expect(root.superblock.signatureAt).toBe(1024);
    expect(text(root, 'backend')).toBe('tensorflow');
  });

  it('follows version 1 continuation chunks', async () => {
    const b = new H5Builder();
    const chunk2 = v1Messages([attr('training_config', '{}')]);
    const at2 = b.place(chunk2);
    const chunk1 = v1Messages([attr('backend', 'tensorflow'), continuation(at2, chunk2.length)]);
    const at1 = b.place(chunk1);
    const root = await read(b.finish(b.place(v1Header([attr('model_config', '{}'), continuation(at1, chunk1.length)]))));
    expect(root.attributes.map((a) => a.name)).toEqual(['model_config', 'backend', 'training_config']);
    expect(root.issues).toEqual([]);
  });

  it('follows version 2 continuation chunks', async () => {
    const b = new H5Builder(2);
    const chunk = v2Continuation([attr('backend', 'tensorflow')]);
    const at = b.place(chunk);
    const root = await read(b.finish(b.place(v2Header([attr('model_config', '{}'), continuation(at, chunk.length)]))));
    expect(root.attributes.map((a) => a.name)).toEqual(['model_config', 'backend']);
  });

  it('stops at a continuation cycle', async () => {
    const b = new H5Builder();
    // Two chunks that continue into each other: A → B → A.
    const at1 = b.next;
    const size = v1Messages([attr('a', 'x'), continuation(0, 0)]).length;
    const at2 = at1 + size;
    b.place(v1Messages([attr('a', 'x'), continuation(at2, size)]));
    b.place(v1Messages([attr('b', 'y'), continuation(at1, size)]));
    const root = await read(b.finish(b.place(v1Header([continuation(at1, size)]))));
    expect(root.attributes.map((a) => a.name)).toEqual(['a', 'b']);
  });

  it('bounds the number of continuation chunks', async () => {
    const b = new H5Builder();
    let next = { at: 0, len: 0 };
    const chunks: number[] = [];
    for (let i = 0; i < 6; i++) {
      const body = v1Messages([attr(`n${i}`, 'x'), ...(i === 0 ? [] : [continuation(next.at, next.len)])]);
      next = { at: b.place(body), len: body.length };
      chunks.push(next.at);
    }
    const root = await read(b.finish(b.place(v1Header([continuation(next.at, next.len)]))), { ...DEFAULT_HDF5_LIMITS, maxHeaderChunks: 3 });
    expect(root.issues.map((i) => i.kind)).toEqual(['limit']);
    expect(root.attributes).toHaveLength(2);
  });

  it('reports a continuation that points outside the file and keeps what it read', async () => {
    const b = new H5Builder();
    const root = await read(b.finish(b.place(v1Header([attr('model_config', '{}'), continuation(1 << 30, 64)]))));
    expect(text(root, 'model_config')).toBe('{}');
    expect(root.issues).toEqual([expect.objectContaining({ kind: 'malformed', message: expect.stringContaining('outside the file') })]);
  });

  it('reads a variable-length string through its global heap collection', async () => {
    const b = new H5Builder();
    const heap = b.place(globalHeap([Buffer.from('first'), Buffer.from('{"class_name": "Sequential"}')]));
    const root = await read(b.finish(b.place(v1Header([{ type: MSG.attribute, body: vlenStringAttribute('model_config', 28, heap, 2) }]))));
    expect(text(root, 'model_config')).toBe('{"class_name": "Sequential"}');
  });

  it('reports a heap reference to a missing object, a length beyond it, and a collection outside the file', async () => {
    const b = new H5Builder();
    const heap = b.place(globalHeap([Buffer.from('abc')]));
    const root = await read(
      b.finish(
        b.place(
          v1Header([
            { type: MSG.attribute, body: vlenStringAttribute('model_config', 3, heap, 7) },
            { type: MSG.attribute, body: vlenStringAttribute('training_config', 100, heap, 1) },
            { type: MSG.attribute, body: vlenStringAttribute('backend', 3, 1 << 30, 1) },
          ]),
        ),
      ),
    );
    expect(root.attributes).toHaveLength(0);
    expect(root.issues.map((i) => i.kind)).toEqual(['malformed', 'malformed', 'malformed']);
    expect(root.issues[0]!.message).toContain('has no object 7');
    expect(root.issues[1]!.message).toContain('claims 100 bytes');
  });

  it('refuses values larger than maxValueBytes without reading them', async () => {
    const b = new H5Builder();
    const heap = b.place(globalHeap([new Uint8Array(5000)]));
    const root = await read(
      b.finish(b.place(v1Header([{ type: MSG.attribute, body: vlenStringAttribute('model_config', 5000, heap, 1) }, attr('backend', 'x'.repeat(300))]))),
      { ...DEFAULT_HDF5_LIMITS, maxValueBytes: 256 },
    );
    expect(root.issues.map((i) => i.kind)).toEqual(['limit', 'limit']);
  });

  it('decodes at most maxValues values, so duplicated attributes cannot multiply heap walks', async () => {
    const b = new H5Builder();
    const heap = b.place(globalHeap([Buffer.from('{}')]));
    const copies = Array.from({ length: 5 }, () => ({ type: MSG.attribute, body: vlenStringAttribute('model_config', 2, heap, 1) }));
    const root = await read(b.finish(b.place(v1Header(copies))), { ...DEFAULT_HDF5_LIMITS, maxValues: 3 });
    expect(root.attributes).toHaveLength(3);
    expect(root.issues.map((i) => i.kind)).toEqual(['limit', 'limit']);
  });

  it('summarises non-string and array values instead of decoding them', async () => {
    const b = new H5Builder();
    const root = await read(
      b.finish(
        b.place(
          v1Header([
            { type: MSG.attribute, body: attributeBody('model_config', datatype.int32(), dataspace.scalar(), le(7, 4)) },
            { type: MSG.attribute, body: attributeBody('backend', datatype.fixedString(2), dataspace.simple(3), [...Buffer.from('aabbcc')]) },
          ]),
        ),
      ),
    );
    expect(root.attributes.map((a) => a.value)).toEqual([
      { kind: 'other', description: 'an HDF5 class 0 value' },
      { kind: 'other', description: 'an array of 3 strings' },
    ]);
  });

  it('reports a truncated value and a shared attribute message', async () => {
    const b = new H5Builder();
    const truncated = attributeBody('model_config', datatype.fixedString(100), dataspace.scalar(), [...Buffer.from('{}')]);
    const root = await read(b.finish(b.place(v1Header([{ type: MSG.attribute, body: truncated }, { ...attr('backend', 'x'), flags: 0x02 }]))));
    expect(root.issues.map((i) => i.kind)).toEqual(['malformed', 'unsupported']);
  });

  it('lists attributes nobody asked for without decoding them, even in layouts it cannot decode', async () => {
    const b = new H5Builder(2);
    const committed = [0x01, 0, 0, 0, ...le(0x1234, 8)]; // a shared-message reference to a committed datatype
    const root = await read(
      b.finish(
        b.place(
          v2Header([
            { type: MSG.attribute, body: attributeBodyV2('units', committed, dataspace.scalar(), [1, 2, 3, 4], 0x01) },
            { type: MSG.attribute, body: attributeBodyV2('model_config', committed, dataspace.scalar(), [1, 2, 3, 4], 0x01) },
            { type: MSG.attribute, body: attributeBodyV2('backend', datatype.fixedString(2), dataspace.scalar(), [...Buffer.from('tf')]) },
          ]),
        ),
      ),
    );
    expect(root.attributes.map((a) => a.name)).toEqual(['units', 'backend']);
    expect(text(root, 'backend')).toBe('tf');
    expect(root.issues).toEqual([expect.objectContaining({ kind: 'unsupported', message: "attribute 'model_config' uses a shared datatype" })]);
  });

  it('drops trailing NULs of fixed strings but keeps bytes after an embedded NUL (as numpy reads them)', async () => {
    const b = new H5Builder();
    const value = [...Buffer.from('{}'), 0, ...Buffer.from('tail'), 0, 0];
    const root = await read(b.finish(b.place(v1Header([{ type: MSG.attribute, body: attributeBody('model_config', datatype.fixedString(value.length), dataspace.scalar(), value) }]))));
    expect(text(root, 'model_config')).toBe('{}\u0000tail');
  });

  it('throws Hdf5Error when there is no signature or the root header is outside the file', async () => {
    await expect(read(new Uint8Array(2048))).rejects.toBeInstanceOf(Hdf5Error);
    const b = new H5Builder();
    b.place([0]);
    await expect(read(b.finish(1 << 20))).rejects.toThrow(/outside the file/);
  });
});

describe('readRootAttributes on hostile bytes', () => {
  const h5Like = (bytes: Uint8Array): Promise<unknown> =>
    read(bytes).catch((err: unknown) => {
      // The only acceptable failure is the reader's own error; anything else is a bug.
      if (!(err instanceof Hdf5Error)) throw err;
      return err;
    });

  it('never crashes on random bytes behind a signature', async () => {
    const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.constantFrom(0, 1, 2, 3), async (tail, version) => {
        await h5Like(Uint8Array.from([...sig, version, 8, 8, 0, ...tail]));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  for (const name of ['sequential.h5', 'many-attributes.h5', 'large-dense.h5']) {
    it(`never crashes or hangs on mutations of ${name}`, async () => {
      const original = fixture(name);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat({ max: Math.min(original.length, 8192) - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
          async (edits) => {
            const bytes = original.slice();
            for (const [at, value] of edits) bytes[at] = value;
            await h5Like(bytes);
          },
        ),
        { seed: 42, numRuns: 300 },
      );
    });
  }
});
