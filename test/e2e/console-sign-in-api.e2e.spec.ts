/**
 * The console's sign-in routes over HTTP: its public configuration, and one-time sign-in links (the embedded default's
 * `npm start -- --sign-in alice`) redeemed once for a token the API accepts, refused in words afterwards.
 */
import { SignInLinks } from '../../apps/api/src/console/sign-in-links';
import { expectProblem, startTestApi, type TestApi } from './support/test-api';

describe('the console sign-in routes', () => {
  describe('with the embedded default (the local HS256 secret)', () => {
    let api: TestApi;
    let links: SignInLinks;
    beforeAll(async () => {
      api = await startTestApi();
      links = api.app.get(SignInLinks);
    });
    afterAll(() => api.close());

    it('the console config names no identity provider and offers sign-in links, without a token', async () => {
      const answer = await api.http().get('/v1/console/config').expect(200);
      expect(answer.body).toEqual({ signInLinks: true });
    });

    it('a link signs its user in once: the token acts as that user; the second use is refused (401) in words', async () => {
      const code = links.issue('alice');
      const redeemed = await api.http().post('/v1/console/sign-in-link').send({ code }).expect(200);
      expect(redeemed.body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 3600 });
      expect(redeemed.headers['cache-control']).toBe('no-store');
      const asAlice = `Bearer ${redeemed.body.accessToken as string}`;
      await api
        .http()
        .post('/v1/teams')
        .set('Authorization', asAlice)
        .send({ id: 'acme', name: 'Acme', plan: 'pro' })
        .expect(201);
      const [created] = await api.teamEvents('acme');
      expect(created!.metadata).toMatchObject({ actorId: 'alice' });

      const again = await api.http().post('/v1/console/sign-in-link').send({ code });
      expectProblem(again, 401, { detail: expect.stringMatching(/already used.*npm start -- --sign-in/) });
      expect(JSON.stringify(again.body)).not.toContain(code);
    });

    it('an unknown code is refused (401) in words, a malformed one (400) naming the field and rule', async () => {
      const unknown = await api
        .http()
        .post('/v1/console/sign-in-link')
        .send({ code: 'A'.repeat(43) });
      expectProblem(unknown, 401, { detail: expect.stringMatching(/not known/) });
      const malformed = await api.http().post('/v1/console/sign-in-link').send({ code: 'alice' });
      expectProblem(malformed, 400, { errors: [expect.objectContaining({ field: 'code', rule: 'matches' })] });
    });
  });

  describe('with an identity provider', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi({
        env: {
          AUTH_OIDC_ISSUER: 'https://idp.example',
          AUTH_OIDC_CLIENT_ID: 'access-audit-console',
          AUTH_OIDC_SCOPE: 'openid profile',
          AUTH_OIDC_RESOURCE: 'https://access-audit.example/',
          AUTH_AUDIENCE: 'https://access-audit.example/',
        },
      });
    });
    afterAll(() => api.close());

    it('the console config names the provider, and sign-in links are off (404)', async () => {
      const answer = await api.http().get('/v1/console/config').expect(200);
      expect(answer.body).toEqual({
        identityProvider: {
          issuer: 'https://idp.example',
          clientId: 'access-audit-console',
          scope: 'openid profile',
          resource: 'https://access-audit.example/',
        },
        signInLinks: false,
      });
      const code = api.app.get(SignInLinks).issue('alice');
      const refused = await api.http().post('/v1/console/sign-in-link').send({ code });
      expectProblem(refused, 404, { detail: expect.stringMatching(/identity provider/) });
    });
  });
});
