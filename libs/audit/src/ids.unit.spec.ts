import { auditEntryIdFor, uuidV5 } from './ids';

describe('uuidV5', () => {
  it('matches the RFC 9562 construction (DNS namespace, www.example.com)', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('derives one entry id per source event, the same every time', () => {
    const source = '0b0f7a44-1f5e-4c1a-9a4e-3d2b1c0a9f88';
    expect(auditEntryIdFor(source)).toBe(auditEntryIdFor(source.toUpperCase()));
    expect(auditEntryIdFor(source)).not.toBe(auditEntryIdFor('0b0f7a44-1f5e-4c1a-9a4e-3d2b1c0a9f89'));
    expect(auditEntryIdFor(source)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
