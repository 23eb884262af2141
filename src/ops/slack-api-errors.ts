/**
 * Counts failed Slack Web API calls by method and error, for `/metrics`. Bolt hands listeners a Web API client of
 * its own (one per token, reused), besides `app.client`; each is wrapped once. The error is Slack's code
 * (`channel_not_found`), `rate_limited`, or the transport's code.
 */
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Metrics } from './metrics.js';

/** The label for one failure: Slack's `error`, else web-api's code (`slack_webapi_rate_limited_error` → rate_limited). */
export function slackErrorLabel(error: unknown): string {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  if (typeof data?.error === 'string') return data.error.slice(0, 60);
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'slack_webapi_rate_limited_error') return 'rate_limited';
  if (code === 'slack_webapi_http_error') {
    const status = (error as { statusCode?: unknown }).statusCode;
    return typeof status === 'number' ? `http_${status}` : 'http_error';
  }
  if (code === 'slack_webapi_request_error') {
    const original = (error as { original?: { code?: unknown } }).original?.code;
    return typeof original === 'string' ? original.slice(0, 60) : 'request_error';
  }
  return typeof code === 'string' ? code.slice(0, 60) : 'unknown';
}

const wrapped = new WeakSet<WebClient>();

/** The method from a Web API URL (`…/api/chat.postMessage`). */
const methodOf = (url: unknown): string =>
  typeof url === 'string' ? (url.split('?')[0]?.split('/').pop() ?? 'unknown').slice(0, 60) : 'unknown';

/**
 * web-api binds each method (`client.chat.postMessage`) to `apiCall` when the client is built, so `apiCall` cannot be
 * wrapped afterwards. The two steps it calls through the instance can: `makeRequest` (throws on HTTP, network and
 * rate-limit failures) and `buildResult` (Slack's `ok: false`, which `apiCall` then throws). Internal to web-api, so
 * test/e2e/ops.test.ts checks that both kinds are still counted.
 */
interface ClientSteps {
  makeRequest(url: string, body: unknown, headers?: unknown): Promise<object>;
  buildResult(response: object): Promise<{ ok?: boolean; error?: unknown }>;
}

/** Which URL each HTTP response answered, from makeRequest to buildResult. */
const urlOf = new WeakMap<object, string>();

function countFailures(client: WebClient, metrics: Pick<Metrics, 'slackApiErrors'>): void {
  if (wrapped.has(client)) return;
  wrapped.add(client);
  const steps = client as unknown as ClientSteps;
  const makeRequest = steps.makeRequest.bind(client);
  const buildResult = steps.buildResult.bind(client);
  if (typeof makeRequest !== 'function' || typeof buildResult !== 'function') return;
  steps.makeRequest = async (url, body, headers) => {
    try {
      const response = await makeRequest(url, body, headers);
      if (response && typeof response === 'object') urlOf.set(response, url);
      return response;
    } catch (error) {
      metrics.slackApiErrors.inc({ method: methodOf(url), error: slackErrorLabel(error) });
      throw error;
    }
  };
  steps.buildResult = async (response) => {
    const result = await buildResult(response);
    if (result.ok === false) {
      const error = typeof result.error === 'string' ? result.error.slice(0, 60) : 'unknown';
      metrics.slackApiErrors.inc({ method: methodOf(urlOf.get(response)), error });
    }
    return result;
  };
}

/**
 * Wraps `app.client` and the bot's own clients (`others`: the one that posts messages) now, and each listener's
 * client as it first appears. Register before the listeners run.
 */
export function countSlackApiErrors(
  app: App,
  metrics: Pick<Metrics, 'slackApiErrors'>,
  others: readonly WebClient[] = [],
): void {
  for (const client of [app.client, ...others]) countFailures(client, metrics);
  app.use(async ({ client, next }) => {
    countFailures(client, metrics);
    await next();
  });
}
