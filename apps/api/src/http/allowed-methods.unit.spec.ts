import { RouteMethods } from './allowed-methods';

describe('RouteMethods', () => {
  const routes = new RouteMethods();
  routes.add('POST', '/v1/teams');
  routes.add(['GET', 'HEAD'], '/v1/teams/:teamId');
  routes.add('PATCH', '/v1/teams/:teamId');
  routes.add('PUT', '/v1/teams/:teamId/members/:userId/role');
  routes.add('GET', '/v1/teams/:teamId/audit/verify');
  routes.add('GET', '/docs/*');

  it('lists, sorted, the methods of every route whose pattern the path matches', () => {
    expect(routes.allowedAt('/v1/teams')).toEqual(['POST']);
    expect(routes.allowedAt('/v1/teams/acme')).toEqual(['GET', 'HEAD', 'PATCH']);
    expect(routes.allowedAt('/v1/teams/acme/members/bob/role')).toEqual(['PUT']);
    expect(routes.allowedAt('/v1/teams/acme/audit/verify')).toEqual(['GET']);
    expect(routes.allowedAt('/docs/static/index.html')).toEqual(['GET']);
  });

  it('finds nothing for a path no route has: an empty parameter, an extra or a missing segment, another static one', () => {
    expect(routes.allowedAt('/v1/teams/')).toEqual([]);
    expect(routes.allowedAt('/v1/teams/acme/members/bob')).toEqual([]);
    expect(routes.allowedAt('/v1/teams/acme/members/bob/role/x')).toEqual([]);
    expect(routes.allowedAt('/v1/teams/acme/audit/summary')).toEqual([]);
    expect(routes.allowedAt('/v2/teams')).toEqual([]);
  });
});
