import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The model fixtures of the OMS reference implementation's tests (tests/conftest.py), rebuilt by description. */
export const REFERENCE_MODELS = ['sample_model_file', 'empty_model_file', 'sample_model_folder', 'empty_model_folder', 'model_folder_with_empty_file', 'deep_model_folder', 'symlink_model_folder'] as const;
export type ReferenceModel = (typeof REFERENCE_MODELS)[number];

const KNOWN_MODEL_TEXT = 'This is a simple model';

/** Builds one fixture under `dir` and returns the model's path (a file or a folder). */
export function buildReferenceModel(kind: ReferenceModel, dir: string): string {
  const folder = (name: string): string => {
    const p = join(dir, name);
    mkdirSync(p, { recursive: true });
    return p;
  };
  switch (kind) {
    case 'sample_model_file': {
      const p = join(dir, 'file_model');
      writeFileSync(p, KNOWN_MODEL_TEXT);
      return p;
    }
    case 'empty_model_file': {
      const p = join(dir, 'empty_file_model');
      writeFileSync(p, '');
      return p;
    }
    case 'sample_model_folder': {
      const root = folder('sample_model');
      for (let i = 0; i < 2; i++) {
        mkdirSync(join(root, `d${i}`));
        for (let j = 0; j < 3; j++) writeFileSync(join(root, `d${i}`, `f${i}${j}`), `This is file f${i}${j} in d${i}.`);
      }
      for (let i = 0; i < 4; i++) writeFileSync(join(root, `f${i}`), `This is file f${i} in root.`);
      return root;
    }
    case 'empty_model_folder':
      return folder('empty_folder_model');
    case 'model_folder_with_empty_file': {
      const root = folder('empty_file_inside_model');
      writeFileSync(join(root, 'empty_file'), '');
      return root;
    }
    case 'deep_model_folder': {
      const root = folder('deep_model');
      const deepest = join(root, 'd0', 'd1', 'd2', 'd3', 'd4');
      mkdirSync(deepest, { recursive: true });
      for (let i = 0; i < 4; i++) writeFileSync(join(deepest, `f${i}`), `This is file f${i}.`);
      return root;
    }
    case 'symlink_model_folder': {
      const external = join(folder('external'), 'file');
      writeFileSync(external, KNOWN_MODEL_TEXT);
      const root = folder('symlink_model');
      symlinkSync(external, join(root, 'symlink_file'));
      return root;
    }
  }
}
