// Gateway API conformance (v1.6.1) header modifier, redirect and rewrite filter scenarios with real traffic through `portunus serve`.
// Tables transcribed from upstream conformance/tests/<name>.go; see README.md.

import { after, type TestContext, test } from 'node:test';
import { INFRA, infra } from '../conformance/harness.ts';
import { startEnv } from './env.ts';
import { runCases } from './http.ts';

const ns = INFRA;

const env = await startEnv({
  manifests: [
    'httproute-303-redirect.yaml',
    'httproute-307-redirect.yaml',
    'httproute-308-redirect.yaml',
    'httproute-redirect-host-and-status.yaml',
    'httproute-redirect-path.yaml',
    'httproute-redirect-port.yaml',
    'httproute-redirect-scheme.yaml',
    'httproute-request-header-modifier-backend.yaml',
    'httproute-request-header-modifier.yaml',
    'httproute-response-header-modifier.yaml',
    'httproute-rewrite-host.yaml',
    'httproute-rewrite-path.yaml',
  ],
});
after(() => env.close());

/** Redirects without a port keep the listener's: 80 upstream, the rewritten port here. */
const redirectOpts = () => ({ defaultPorts: { http: env.port(80, infra('same-namespace')), https: 443 } });

async function requestHeaderModifierCases(t: TestContext): Promise<void> {
  await runCases(
    t,
    env.gatewayAddr(infra('same-namespace')),
    [
      {
        Request: {
          Path: '/set',
          Headers: {
            'Some-Other-Header': 'val',
          },
        },
        ExpectedRequest: {
          Request: {
            Path: '/set',
            Headers: {
              'Some-Other-Header': 'val',
              'X-Header-Set': 'set-overwrites-values',
            },
          },
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/set',
          Headers: {
            'Some-Other-Header': 'val',
            'X-Header-Set': 'some-other-value',
          },
        },
        ExpectedRequest: {
          Request: {
            Path: '/set',
            Headers: {
              'Some-Other-Header': 'val',
              'X-Header-Set': 'set-overwrites-values',
            },
          },
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/add',
          Headers: {
            'Some-Other-Header': 'val',
          },
        },
        ExpectedRequest: {
          Request: {
            Path: '/add',
            Headers: {
              'Some-Other-Header': 'val',
              'X-Header-Add': 'add-appends-values',
            },
          },
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/add',
          Headers: {
            'Some-Other-Header': 'val',
            'X-Header-Add': 'some-other-value',
          },
        },
        ExpectedRequest: {
          Request: {
            Path: '/add',
            Headers: {
              'Some-Other-Header': 'val',
              'X-Header-Add': 'some-other-value,add-appends-values',
            },
          },
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/remove',
          Headers: {
            'X-Header-Remove': 'val',
          },
        },
        ExpectedRequest: {
          Request: {
            Path: '/remove',
          },
          AbsentHeaders: ['X-Header-Remove'],
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/multiple',
          Headers: {
            'X-Header-Set-2': 'set-val-2',
            'X-Header-Add-2': 'add-val-2',
            'X-Header-Remove-2': 'remove-val-2',
            'Another-Header': 'another-header-val',
          },
        },
        ExpectedRequest: {
          Request: {
            Path: '/multiple',
            Headers: {
              'X-Header-Set-1': 'header-set-1',
              'X-Header-Set-2': 'header-set-2',
              'X-Header-Add-1': 'header-add-1',
              'X-Header-Add-2': 'add-val-2,header-add-2',
              'X-Header-Add-3': 'header-add-3',
              'Another-Header': 'another-header-val',
            },
          },
          AbsentHeaders: ['X-Header-Remove-1', 'X-Header-Remove-2'],
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/case-insensitivity',
          // The filter uses canonicalized header names,
          // the request uses lowercase names.
          Headers: {
            'x-header-set': 'original-val-set',
            'x-header-add': 'original-val-add',
            'x-header-remove': 'original-val-remove',
            'Another-Header': 'another-header-val',
          },
        },
        ExpectedRequest: {
          Request: {
            Path: '/case-insensitivity',
            Headers: {
              'X-Header-Set': 'header-set',
              'X-Header-Add': 'original-val-add,header-add',
              'Another-Header': 'another-header-val',
            },
          },
          AbsentHeaders: ['x-header-remove', 'X-Header-Remove'],
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
    ],
    redirectOpts(),
  );
}

test('HTTPRouteRequestHeaderModifier', { concurrency: true }, async (t) => {
  await env.use(['httproute-request-header-modifier.yaml']);
  await requestHeaderModifierCases(t);
});

// Same test function upstream, with the filters on the backendRefs instead of the rule.
test('HTTPRouteBackendRequestHeaderModifier', { concurrency: true }, async (t) => {
  await env.use(['httproute-request-header-modifier-backend.yaml']);
  await requestHeaderModifierCases(t);
});

test('HTTPRouteResponseHeaderModifier', { concurrency: true }, async (t) => {
  await env.use(['httproute-response-header-modifier.yaml']);
  await runCases(
    t,
    env.gatewayAddr(infra('same-namespace')),
    [
      {
        Request: {
          Path: '/set',
        },
        BackendSetResponseHeaders: {
          'Some-Other-Header': 'val',
        },
        Response: {
          Headers: {
            'Some-Other-Header': 'val',
            'X-Header-Set': 'set-overwrites-values',
          },
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/set',
        },
        BackendSetResponseHeaders: {
          'Some-Other-Header': 'val',
          'X-Header-Set': 'some-other-value',
        },
        Response: {
          Headers: {
            'Some-Other-Header': 'val',
            'X-Header-Set': 'set-overwrites-values',
          },
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/add',
        },
        BackendSetResponseHeaders: {
          'Some-Other-Header': 'val',
        },
        Response: {
          Headers: {
            'Some-Other-Header': 'val',
            'X-Header-Add': 'add-appends-values',
          },
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/add',
        },
        BackendSetResponseHeaders: {
          'Some-Other-Header': 'val',
          'X-Header-Add': 'some-other-value',
        },
        Response: {
          Headers: {
            'Some-Other-Header': 'val',
            'X-Header-Add': 'some-other-value,add-appends-values',
          },
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/remove',
        },
        BackendSetResponseHeaders: {
          'X-Header-Remove': 'val',
        },
        Response: {
          AbsentHeaders: ['X-Header-Remove'],
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/multiple',
        },
        BackendSetResponseHeaders: {
          'X-Header-Set-2': 'set-val-2',
          'X-Header-Add-2': 'add-val-2',
          'X-Header-Remove-2': 'remove-val-2',
          'Another-Header': 'another-header-val',
          'X-Header-Remove-1': 'val',
        },
        Response: {
          Headers: {
            'X-Header-Set-1': 'header-set-1',
            'X-Header-Set-2': 'header-set-2',
            'X-Header-Add-1': 'header-add-1',
            'X-Header-Add-2': 'add-val-2,header-add-2',
            'X-Header-Add-3': 'header-add-3',
            'Another-Header': 'another-header-val',
          },
          AbsentHeaders: ['X-Header-Remove-1', 'X-Header-Remove-2'],
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/case-insensitivity',
        },
        BackendSetResponseHeaders: {
          'x-header-set': 'original-val-set',
          'x-header-add': 'original-val-add',
          'x-header-remove': 'original-val-remove',
          'Another-Header': 'another-header-val',
        },
        Response: {
          Headers: {
            'X-Header-Set': 'header-set',
            'X-Header-Add': 'original-val-add,header-add',
            'X-Lowercase-Add': 'lowercase-add',
            'X-Mixedcase-Add-1': 'mixedcase-add-1',
            'X-Mixedcase-Add-2': 'mixedcase-add-2',
            'X-Uppercase-Add': 'uppercase-add',
            'Another-Header': 'another-header-val',
          },
          AbsentHeaders: ['x-header-remove', 'X-Header-Remove'],
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/response-and-request-header-modifiers',
          Headers: {
            'X-Header-Remove': 'remove-val',
            'X-Header-Add-Append': 'append-val-1',
            'X-Header-Echo': 'echo',
          },
        },
        BackendSetResponseHeaders: {
          'X-Header-Set-2': 'set-val-2',
          'X-Header-Add-2': 'add-val-2',
          'X-Header-Remove-2': 'remove-val-2',
          'Another-Header': 'another-header-val',
          'X-Header-Remove-1': 'remove-val-1',
          'X-Header-Echo': 'echo',
        },
        ExpectedRequest: {
          Request: {
            Path: '/response-and-request-header-modifiers',
            Headers: {
              'X-Header-Add': 'header-val-1',
              'X-Header-Set': 'set-overwrites-values',
              'X-Header-Add-Append': 'append-val-1,header-val-2',
              'X-Header-Echo': 'echo',
            },
          },
          AbsentHeaders: ['X-Header-Remove'],
        },
        Response: {
          Headers: {
            'X-Header-Set-1': 'header-set-1',
            'X-Header-Set-2': 'header-set-2',
            'X-Header-Add-1': 'header-add-1',
            'X-Header-Add-2': 'add-val-2,header-add-2',
            'Another-Header': 'another-header-val',
            'X-Header-Echo': 'echo',
          },
          AbsentHeaders: ['X-Header-Remove-1', 'X-Header-Remove-2'],
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
    ],
    redirectOpts(),
  );
});

test('HTTPRouteRedirectHostAndStatus', { concurrency: true }, async (t) => {
  await env.use(['httproute-redirect-host-and-status.yaml']);
  await runCases(
    t,
    env.gatewayAddr(infra('same-namespace')),
    [
      {
        Request: {
          Path: '/hostname-redirect',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 302,
        },
        RedirectRequest: {
          Host: 'example.org',
        },
        Namespace: ns,
      },
      {
        Request: {
          Path: '/host-and-status',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 301,
        },
        RedirectRequest: {
          Host: 'example.org',
        },
        Namespace: ns,
      },
    ],
    redirectOpts(),
  );
});

test('HTTPRouteRedirectPath', { concurrency: true }, async (t) => {
  await env.use(['httproute-redirect-path.yaml']);
  await runCases(
    t,
    env.gatewayAddr(infra('same-namespace')),
    [
      {
        Request: {
          Path: '/original-prefix/lemon',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 302,
        },
        RedirectRequest: {
          Path: '/replacement-prefix/lemon',
        },
        Namespace: ns,
      },
      {
        Request: {
          Path: '/full/path/original',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 302,
        },
        RedirectRequest: {
          Path: '/full-path-replacement',
        },
        Namespace: ns,
      },
      {
        Request: {
          Path: '/path-and-host',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 302,
        },
        RedirectRequest: {
          Host: 'example.org',
          Path: '/replacement-prefix',
        },
        Namespace: ns,
      },
      {
        Request: {
          Path: '/path-and-status',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 301,
        },
        RedirectRequest: {
          Path: '/replacement-prefix',
        },
        Namespace: ns,
      },
      {
        Request: {
          Path: '/full-path-and-host',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 302,
        },
        RedirectRequest: {
          Host: 'example.org',
          Path: '/replacement-full',
        },
        Namespace: ns,
      },
      {
        Request: {
          Path: '/full-path-and-status',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 301,
        },
        RedirectRequest: {
          Path: '/replacement-full',
        },
        Namespace: ns,
      },
    ],
    redirectOpts(),
  );
});

test('HTTPRouteRedirectPort', { concurrency: true }, async (t) => {
  await env.use(['httproute-redirect-port.yaml']);
  await runCases(
    t,
    env.gatewayAddr(infra('same-namespace')),
    [
      {
        Request: {
          Path: '/port',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 302,
        },
        RedirectRequest: {
          Port: '8083',
        },
        Namespace: ns,
      },
      {
        Request: {
          Path: '/port-and-host',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 302,
        },
        RedirectRequest: {
          Host: 'example.org',
          Port: '8083',
        },
        Namespace: ns,
      },
      {
        Request: {
          Path: '/port-and-status',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 301,
        },
        RedirectRequest: {
          Port: '8083',
        },
        Namespace: ns,
      },
      {
        Request: {
          Path: '/port-and-host-and-status',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 302,
        },
        RedirectRequest: {
          Port: '8083',
          Host: 'example.org',
        },
        Namespace: ns,
      },
    ],
    redirectOpts(),
  );
});

test('HTTPRouteRedirectScheme', { concurrency: true }, async (t) => {
  await env.use(['httproute-redirect-scheme.yaml']);
  await runCases(
    t,
    env.gatewayAddr(infra('same-namespace')),
    [
      {
        Request: {
          Path: '/scheme',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 302,
        },
        RedirectRequest: {
          Scheme: 'https',
        },
        Namespace: ns,
      },
      {
        Request: {
          Path: '/scheme-and-host',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 302,
        },
        RedirectRequest: {
          Host: 'example.org',
          Scheme: 'https',
        },
        Namespace: ns,
      },
      {
        Request: {
          Path: '/scheme-and-status',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 301,
        },
        RedirectRequest: {
          Scheme: 'https',
        },
        Namespace: ns,
      },
      {
        Request: {
          Path: '/scheme-and-host-and-status',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 302,
        },
        RedirectRequest: {
          Scheme: 'https',
          Host: 'example.org',
        },
        Namespace: ns,
      },
    ],
    redirectOpts(),
  );
});

test('HTTPRoute303Redirect', { concurrency: true }, async (t) => {
  await env.use(['httproute-303-redirect.yaml']);
  await runCases(
    t,
    env.gatewayAddr(infra('same-namespace')),
    [
      {
        Request: {
          Path: '/see-other',
          UnfollowRedirect: true,
          Method: 'POST',
        },
        Response: {
          StatusCode: 303,
        },
        RedirectRequest: {
          Path: '/see-other',
        },
        Namespace: ns,
      },
    ],
    redirectOpts(),
  );
});

test('HTTPRoute307Redirect', { concurrency: true }, async (t) => {
  await env.use(['httproute-307-redirect.yaml']);
  await runCases(
    t,
    env.gatewayAddr(infra('same-namespace')),
    [
      {
        Request: {
          Path: '/temporary',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 307,
        },
        RedirectRequest: {
          Path: '/temporary',
        },
        Namespace: ns,
      },
    ],
    redirectOpts(),
  );
});

test('HTTPRoute308Redirect', { concurrency: true }, async (t) => {
  await env.use(['httproute-308-redirect.yaml']);
  await runCases(
    t,
    env.gatewayAddr(infra('same-namespace')),
    [
      {
        Request: {
          Path: '/permanent',
          UnfollowRedirect: true,
        },
        Response: {
          StatusCode: 308,
        },
        RedirectRequest: {
          Path: '/permanent',
        },
        Namespace: ns,
      },
    ],
    redirectOpts(),
  );
});

test('HTTPRouteRewriteHost', { concurrency: true }, async (t) => {
  await env.use(['httproute-rewrite-host.yaml']);
  await runCases(
    t,
    env.gatewayAddr(infra('same-namespace')),
    [
      {
        Request: {
          Path: '/one',
          Host: 'rewrite.example',
        },
        ExpectedRequest: {
          Request: {
            Path: '/one',
            Host: 'one.example.org',
          },
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/two',
          Host: 'rewrite.example',
        },
        ExpectedRequest: {
          Request: {
            Path: '/two',
            Host: 'example.org',
          },
        },
        Backend: 'infra-backend-v2',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/rewrite-host-and-modify-headers',
          Host: 'rewrite.example',
          Headers: {
            'X-Header-Remove': 'remove-val',
            'X-Header-Add-Append': 'append-val-1',
          },
        },
        ExpectedRequest: {
          Request: {
            Path: '/rewrite-host-and-modify-headers',
            Host: 'test.example.org',
            Headers: {
              'X-Header-Add': 'header-val-1',
              'X-Header-Add-Append': 'append-val-1,header-val-2',
              'X-Header-Set': 'set-overwrites-values',
            },
          },
          AbsentHeaders: ['X-Header-Remove'],
        },
        Backend: 'infra-backend-v2',
        Namespace: ns,
      },
    ],
    redirectOpts(),
  );
});

test('HTTPRouteRewritePath', { concurrency: true }, async (t) => {
  await env.use(['httproute-rewrite-path.yaml']);
  await runCases(
    t,
    env.gatewayAddr(infra('same-namespace')),
    [
      {
        Request: {
          Path: '/prefix/one/two',
        },
        ExpectedRequest: {
          Request: {
            Path: '/one/two',
          },
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/strip-prefix/three',
        },
        ExpectedRequest: {
          Request: {
            Path: '/three',
          },
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/strip-prefix',
        },
        ExpectedRequest: {
          Request: {
            Path: '/',
          },
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/full/one/two',
        },
        ExpectedRequest: {
          Request: {
            Path: '/one',
          },
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/full/rewrite-path-and-modify-headers/test',
          Headers: {
            'X-Header-Remove': 'remove-val',
            'X-Header-Add-Append': 'append-val-1',
            'X-Header-Set': 'set-val',
          },
        },
        ExpectedRequest: {
          Request: {
            Path: '/test',
            Headers: {
              'X-Header-Add': 'header-val-1',
              'X-Header-Add-Append': 'append-val-1,header-val-2',
              'X-Header-Set': 'set-overwrites-values',
            },
          },
          AbsentHeaders: ['X-Header-Remove'],
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
      {
        Request: {
          Path: '/prefix/rewrite-path-and-modify-headers/one',
          Headers: {
            'X-Header-Remove': 'remove-val',
            'X-Header-Add-Append': 'append-val-1',
            'X-Header-Set': 'set-val',
          },
        },
        ExpectedRequest: {
          Request: {
            Path: '/prefix/one',
            Headers: {
              'X-Header-Add': 'header-val-1',
              'X-Header-Add-Append': 'append-val-1,header-val-2',
              'X-Header-Set': 'set-overwrites-values',
            },
          },
          AbsentHeaders: ['X-Header-Remove'],
        },
        Backend: 'infra-backend-v1',
        Namespace: ns,
      },
    ],
    redirectOpts(),
  );
});
