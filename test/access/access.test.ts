import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import type * as Cedar from '@cedar-policy/cedar-wasm/nodejs';
import { authenticate, CEDAR_SCHEMA, createUser, decide, disableUser, listUsers, POLICIES, ROLES, type Action, type Principal } from '../../src/access/index.js';
import { openTestSqlite } from '../support/stores.js';

const p = (role: Principal['role'], name: string = role): Principal => ({ id: `user:${name}`, role });

describe('access policies (Cedar)', () => {
  it('validate against the schema, which catches a misspelt attribute or action', () => {
    const cedar = createRequire(import.meta.url)('@cedar-policy/cedar-wasm/nodejs') as typeof Cedar;
    const validate = (policies: Record<string, string>): unknown => cedar.validate({ schema: CEDAR_SCHEMA, policies: { staticPolicies: policies } });
    expect(validate(POLICIES)).toMatchObject({ type: 'success', validationErrors: [] });
    const typo = { ...POLICIES, 'no-self-approval': POLICIES['no-self-approval']!.replace('resource.registrant', 'resource.registrnt') };
    expect((validate(typo) as { validationErrors: unknown[] }).validationErrors.length).toBeGreaterThan(0);
    const action = { ...POLICIES, 'viewer-reads': POLICIES['viewer-reads']!.replace('"read"', '"raed"') };
    expect((validate(action) as { validationErrors: unknown[] }).validationErrors.length).toBeGreaterThan(0);
  });

  it('deny by default: each role gets only its own actions', () => {
    const allowed = (role: Principal['role'], action: Action): boolean => decide(p(role), action, { type: 'Model', id: 'm' }).allowed;
    expect(allowed('viewer', 'read')).toBe(true);
    for (const a of ['register', 'promote', 'approve', 'readAudit', 'manageKeys', 'manageUsers'] as const) expect(allowed('viewer', a), a).toBe(false);
    expect(allowed('ml-engineer', 'promote')).toBe(true);
    expect(allowed('ml-engineer', 'approve')).toBe(false);
    expect(allowed('security-reviewer', 'approve')).toBe(true);
    expect(allowed('security-reviewer', 'promote')).toBe(false);
    expect(allowed('admin', 'manageUsers')).toBe(true);
    // Admins do not approve: the review is the reviewers' job.
    expect(decide(p('admin'), 'approve', { type: 'ModelVersion', id: 'm@1' })).toEqual({ allowed: false, policies: ['only-reviewers-approve'] });
  });

  it('forbids self-approval, moves on frozen models and hand moves of protected aliases, whatever the role', () => {
    expect(decide(p('security-reviewer', 'rita'), 'approve', { type: 'ModelVersion', id: 'm@1', registrant: 'user:rita' })).toEqual({ allowed: false, policies: ['no-self-approval'] });
    expect(decide(p('security-reviewer', 'rita'), 'approve', { type: 'ModelVersion', id: 'm@1', registrant: 'user:eve' }).allowed).toBe(true);
    expect(decide(p('admin'), 'promote', { type: 'Alias', id: 'm@production', frozen: true, protected: true })).toEqual({ allowed: false, policies: ['frozen-model'] });
    expect(decide(p('admin'), 'setAlias', { type: 'Alias', id: 'm@production', frozen: false, protected: true })).toEqual({ allowed: false, policies: ['protected-alias'] });
    expect(decide(p('ml-engineer'), 'setAlias', { type: 'Alias', id: 'm@staging', frozen: false, protected: false }).allowed).toBe(true);
    expect(decide(p('ml-engineer'), 'rollback', { type: 'Alias', id: 'm@production', frozen: true, protected: true }).allowed).toBe(true);
  });

  it('never lets an arbitrary principal id or resource id escape its role', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 }), (id, rid) => {
        expect(decide({ id, role: 'viewer' }, 'promote', { type: 'Alias', id: rid, registrant: id }).allowed).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('users and tokens', () => {
  it('creates users with pu_ tokens stored as SHA-256, authenticates them, and refuses unknown or disabled ones', async () => {
    const { store, cleanup } = await openTestSqlite();
    try {
      const { token, user } = await createUser(store, { name: 'rita', role: 'security-reviewer', createdBy: 'os:root' });
      expect(token).toMatch(/^pu_[A-Za-z0-9_-]{43}$/);
      expect(user).toMatchObject({ name: 'rita', role: 'security-reviewer', kind: 'user' });
      const row = await store.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(token);
      expect(await authenticate(store, token)).toEqual({ id: 'user:rita', role: 'security-reviewer' });
      // A different last character (the last of 43 base64url characters carries 4 bits, so a fixed one would match 1 time in 16).
      await expect(authenticate(store, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).rejects.toMatchObject({ code: 'ACCESS_TOKEN_INVALID' });
      await expect(authenticate(store, 'pk_notauser')).rejects.toMatchObject({ code: 'ACCESS_TOKEN_INVALID' });
      await expect(createUser(store, { name: 'rita', role: 'viewer', createdBy: 'os:root' })).rejects.toMatchObject({ code: 'ACCESS_USER_INVALID' });
      await expect(createUser(store, { name: 'x', role: 'owner', createdBy: 'os:root' })).rejects.toThrow(new RegExp(ROLES.join(', ')));
      await expect(createUser(store, { name: 'Bad Name', role: 'viewer', createdBy: 'os:root' })).rejects.toMatchObject({ code: 'ACCESS_USER_INVALID' });
      await disableUser(store, 'rita');
      await expect(authenticate(store, token)).rejects.toMatchObject({ code: 'ACCESS_TOKEN_INVALID' });
      expect((await listUsers(store))[0]!.disabledAt).toBeDefined();
      await expect(disableUser(store, 'rita')).rejects.toMatchObject({ code: 'ACCESS_USER_NOT_FOUND' });
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string({ maxLength: 100 }), fc.string({ minLength: 43, maxLength: 43 }).map((t) => `pu_${t}`)), async (t) => {
          await expect(authenticate(store, t)).rejects.toMatchObject({ code: 'ACCESS_TOKEN_INVALID' });
        }),
        { numRuns: 100 },
      );
    } finally {
      await cleanup();
    }
  });
});
