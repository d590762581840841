/** Decides what an imported global (`module` + `name`) means for the verdict. */
export interface GlobalPolicy {
  classify(module: string, name: string): GlobalClass;
}

export type GlobalClass =
  | { kind: 'safe' }
  | { kind: 'dangerous'; why: string }
  | { kind: 'unknown' };
