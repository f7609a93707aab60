/**
 * scimmy, an independent SCIM library, as the oracle of filter and PATCH semantics: the same input gives the same result.
 * Values are lower-case where scimmy's schema-less matching (case-exact) and RFC 7643 (`userName` is not caseExact) part.
 */
import fc from 'fast-check';
import SCIMMY from 'scimmy';
import { applyPatch, normalizePatch } from './patch';
import { scimFilter } from './filter';

const word = fc.constantFrom('ann', 'bob', 'an', 'b', 'x', '__proto__', 'constructor');
const user = fc.record(
  {
    id: fc.uuid(),
    userName: word,
    externalId: word,
    displayName: word,
    title: word,
    active: fc.boolean(),
    emails: fc.array(fc.record({ value: word, type: fc.constantFrom('work', 'home') }), { maxLength: 2 }),
  },
  // scimmy cannot follow a dotted path into an absent attribute: emails is always there (maybe empty).
  { requiredKeys: ['id', 'userName', 'emails'] },
);

const attribute = fc.constantFrom('userName', 'externalId', 'displayName', 'title', 'emails.value', 'emails.type');
const comparison = fc
  .tuple(attribute, fc.constantFrom('eq', 'co', 'sw', 'ew'), word)
  .map(([a, op, v]) => `${a} ${op} "${v}"`);
const presence = attribute.map((a) => `${a} pr`);
const activeEq = fc.boolean().map((b) => `active eq ${String(b)}`);
const filter: fc.Arbitrary<string> = fc.letrec<{ f: string }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    presence,
    activeEq,
    // scimmy's parser takes no doubled parentheses, so a compound is grouped only on its right: precedence does the rest.
    fc.tuple(tie('f'), fc.constantFrom('and', 'or'), tie('f')).map(([l, op, r]) => `${l} ${op} ${r}`),
    // …nor a nested group inside `not`; and it reads `not` over an empty multi-valued attribute as false (RFC: true).
    fc
      .tuple(
        fc.constantFrom('userName', 'externalId', 'displayName', 'title'),
        fc.constantFrom('eq', 'co', 'sw', 'ew'),
        word,
      )
      .map(([a, op, v]) => `not (${a} ${op} "${v}")`),
  ),
})).f;

describe('SCIM filters agree with scimmy (RFC 7644 §3.4.2.2)', () => {
  it('selects the same users for random filters of eq, co, sw, ew, pr, and, or', () => {
    fc.assert(
      fc.property(fc.uniqueArray(user, { selector: (u) => u.id, maxLength: 8 }), filter, (generated, expression) => {
        // scimmy joins two conditions on one multi-valued attribute to one element (RFC: each any element; tested below).
        fc.pre((expression.match(/emails\./g) ?? []).length < 2);
        // As parsed from JSON (fast-check may make null-prototype objects, which scimmy cannot read).
        const users = JSON.parse(JSON.stringify(generated)) as typeof generated;
        const ours = scimFilter(expression);
        if (!ours.ok) throw new Error(`${expression}: ${ours.rejection.detail}`);
        const oracle = new SCIMMY.Types.Filter(expression).match(JSON.parse(JSON.stringify(users))) as Array<{
          id: string;
        }>;
        expect(users.filter(ours.matches).map((u) => u.id)).toEqual(oracle.map((u) => u.id));
      }),
      { numRuns: 300 },
    );
  });

  it('reads each condition on a multi-valued attribute over any of its values (RFC 7644 §3.4.2.2; scimmy: one value for all)', () => {
    const ann = {
      id: '1',
      userName: 'ann',
      emails: [
        { value: 'bob', type: 'home' },
        { value: '__proto__', type: 'work' },
      ],
    };
    const each = scimFilter('emails.value eq "bob" and emails.value eq "__proto__"');
    const oneValue = scimFilter('emails[value eq "bob" and type eq "work"]');
    if (!each.ok || !oneValue.ok) throw new Error('filters parse');
    expect([each.matches(ann), oneValue.matches(ann)]).toEqual([true, false]);
    expect(new SCIMMY.Types.Filter('emails.value eq "bob" and emails.value eq "__proto__"').match([ann])).toEqual([]);
  });

  it('compares userName case-insensitively, externalId exactly (RFC 7643 §4.1 caseExact)', () => {
    const ann = { id: '1', userName: 'Ann@Example.com', externalId: 'X1' };
    const byName = scimFilter('userName eq "ann@example.com"');
    const byExternal = scimFilter('externalId eq "x1"');
    if (!byName.ok || !byExternal.ok) throw new Error('filters parse');
    expect([byName.matches(ann), byExternal.matches(ann)]).toEqual([true, false]);
  });

  it('refuses a malformed filter with 400 invalidFilter', () => {
    expect(scimFilter('userName eq')).toMatchObject({
      ok: false,
      rejection: { status: 400, scimType: 'invalidFilter' },
    });
  });
});

const patchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const base = () => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: 'u1',
  userName: 'ann',
  displayName: 'Ann Lee',
  title: 'Engineer',
  active: true,
  name: { givenName: 'Ann', familyName: 'Lee' },
  emails: [
    { value: 'ann@work.example', type: 'work', primary: true },
    { value: 'ann@home.example', type: 'home' },
  ],
});

/** The user's attributes, without meta (each library keeps its own). */
const attributesOf = (resource: Record<string, unknown>) => {
  const { meta: _meta, schemas: _schemas, ...rest } = JSON.parse(JSON.stringify(resource)) as Record<string, unknown>;
  return rest;
};

async function oracle(operations: unknown[]): Promise<Record<string, unknown>> {
  const resource = new SCIMMY.Schemas.User(base(), 'out');
  const message = new SCIMMY.Messages.PatchOp({ schemas: [patchOp], Operations: operations as never });
  // scimmy answers undefined when the operations changed nothing.
  const patched = (await message.apply(resource)) as unknown as Record<string, unknown> | undefined;
  return attributesOf(patched ?? base());
}

function ours(operations: unknown[]): Record<string, unknown> {
  const normalized = normalizePatch({ schemas: [patchOp], Operations: operations }, 'u1');
  if (!normalized.ok) throw new Error(normalized.rejection.detail);
  const patched = applyPatch(base(), normalized.operations);
  if (!patched.ok) throw new Error(patched.rejection.detail);
  return attributesOf(patched.resource);
}

describe('PATCH agrees with scimmy (RFC 7644 §3.5.2)', () => {
  const cases: Array<[string, unknown[]]> = [
    ['replace of a simple attribute', [{ op: 'replace', path: 'displayName', value: 'Ann Park' }]],
    ['replace of a sub-attribute', [{ op: 'replace', path: 'name.familyName', value: 'Park' }]],
    [
      'replace through a value filter',
      [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'a@new.example' }],
    ],
    ['add of a new attribute', [{ op: 'add', path: 'nickName', value: 'Annie' }]],
    ['path-less replace (Okta)', [{ op: 'replace', value: { displayName: 'A. Lee', active: false } }]],
    ['path-less add', [{ op: 'add', value: { title: 'Lead', nickName: 'A' } }]],
    ['remove of an attribute', [{ op: 'remove', path: 'title' }]],
    ['remove through a value filter', [{ op: 'remove', path: 'emails[type eq "home"]' }]],
    ['replace of active', [{ op: 'replace', path: 'active', value: false }]],
    [
      'several operations in order',
      [
        { op: 'replace', path: 'name.givenName', value: 'Anna' },
        { op: 'remove', path: 'title' },
        { op: 'add', path: 'displayName', value: 'Anna Lee' },
      ],
    ],
  ];
  it.each(cases)('%s', async (_name, operations) => {
    expect(ours(operations)).toEqual(await oracle(operations));
  });

  // Entra ID's forms: capitalised ops and "False" strings; scimmy takes the RFC form they normalise to.
  it.each([
    [
      '"Replace" with "value": "False"',
      [{ op: 'Replace', path: 'active', value: 'False' }],
      [{ op: 'replace', path: 'active', value: false }],
    ],
    [
      '"Add" with "value": "True"',
      [{ op: 'Add', path: 'active', value: 'True' }],
      [{ op: 'add', path: 'active', value: true }],
    ],
    [
      'path-less "Replace" with a string boolean',
      [{ op: 'Replace', value: { active: 'false' } }],
      [{ op: 'replace', value: { active: false } }],
    ],
  ])('Entra ID %s is the RFC operation', async (_name, entra, rfc) => {
    expect(ours(entra)).toEqual(await oracle(rfc));
  });

  it('group members: add, remove by filter, remove by value list, path-less replace (Okta, Entra ID)', async () => {
    const group = () => ({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      id: 'g1',
      displayName: 'Eng',
      members: [{ value: 'a' }, { value: 'b' }],
    });
    const scimmyGroup = async (operations: unknown[]) =>
      attributesOf(
        (await new SCIMMY.Messages.PatchOp({ schemas: [patchOp], Operations: operations as never }).apply(
          new SCIMMY.Schemas.Group(group(), 'out'),
        )) as unknown as Record<string, unknown>,
      );
    const ourGroup = (operations: unknown[]) => {
      const normalized = normalizePatch({ schemas: [patchOp], Operations: operations }, 'g1');
      if (!normalized.ok) throw new Error(normalized.rejection.detail);
      const patched = applyPatch(group(), normalized.operations);
      if (!patched.ok) throw new Error(patched.rejection.detail);
      return attributesOf(patched.resource);
    };
    for (const operations of [
      [{ op: 'add', path: 'members', value: [{ value: 'c' }] }],
      [{ op: 'remove', path: 'members[value eq "a"]' }],
      [{ op: 'remove', path: 'members', value: [{ value: 'b' }] }],
      [{ op: 'replace', path: 'displayName', value: 'Engineering' }],
    ])
      expect(ourGroup(operations)).toEqual(await scimmyGroup(operations));
  });

  it("Okta's path-less replace of members replaces them all (RFC 7644 §3.5.2.3; scimmy merges them instead)", () => {
    const normalized = normalizePatch(
      { schemas: [patchOp], Operations: [{ op: 'replace', value: { id: 'g1', members: [{ value: 'c' }] } }] },
      'g1',
    );
    if (!normalized.ok) throw new Error(normalized.rejection.detail);
    const patched = applyPatch(
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        id: 'g1',
        displayName: 'Eng',
        members: [{ value: 'a' }],
      },
      normalized.operations,
    );
    expect(patched).toMatchObject({ ok: true, resource: { id: 'g1', members: [{ value: 'c' }] } });
  });

  it('refuses a path-less value that changes the id (400 mutability) and an unknown op (400 invalidSyntax)', () => {
    expect(
      normalizePatch({ schemas: [patchOp], Operations: [{ op: 'replace', value: { id: 'other' } }] }, 'g1'),
    ).toMatchObject({
      ok: false,
      rejection: { status: 400, scimType: 'mutability' },
    });
    expect(
      normalizePatch({ schemas: [patchOp], Operations: [{ op: 'merge', path: 'title', value: 'x' }] }, 'g1'),
    ).toMatchObject({
      ok: false,
      rejection: { status: 400, scimType: 'invalidSyntax' },
    });
  });
});
