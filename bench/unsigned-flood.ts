/**
 * What unauthenticated traffic costs the people Slack is waiting for: the ack time of signed requests (a cheap
 * `/cloudphone help`, sent one at a time by the load worker) while this process posts unsigned 1 MB bodies to
 * /slack/events at 20 a second, against the same acks without them. Nothing before the signature check may cost more
 * than a hash: such a body is refused on its Content-Length (413) without being read or parsed.
 */
import { request } from 'node:http';
import type { SlackLoad } from './slack-load.js';
import { formatMs, median, percentile, type Row, verdict } from './stats.js';

const FLOOD_BODY_BYTES = 1024 * 1024;
const FLOOD_PER_SECOND = 20;
const SAMPLES = 100;
const SPACING_MS = 30;
const TARGET_RATIO = 1.5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Posts one unsigned body; resolves with the status, or 0 when the connection was cut (as a refusal may do). */
function postUnsigned(appUrl: string, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      appUrl,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function ackTimes(load: SlackLoad, userId: string, channelId: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const [answer] = await load.slashCommands([{ command: '/cloudphone', text: 'help', userId, channelId }]);
    times.push(answer!.elapsedMs);
    await sleep(SPACING_MS);
  }
  return times;
}

export async function measureUnsignedFlood(input: {
  load: SlackLoad;
  appUrl: string;
  userId: string;
  channelId: string;
}): Promise<{ rows: Row[]; notes: string[] }> {
  const { load, appUrl, userId, channelId } = input;
  // Many keys, as the costly kind of form would have.
  const body = Buffer.alloc(FLOOD_BODY_BYTES, 'a=1&');
  await ackTimes(load, userId, channelId); // warm-up, not measured
  const quiet = await ackTimes(load, userId, channelId);

  const statuses = new Map<number, number>();
  const pending: Promise<void>[] = [];
  const flood = setInterval(() => {
    pending.push(
      postUnsigned(appUrl, body).then((status) => {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }),
    );
  }, 1000 / FLOOD_PER_SECOND);
  let flooded: number[];
  try {
    flooded = await ackTimes(load, userId, channelId);
  } finally {
    clearInterval(flood);
  }
  await Promise.all(pending);

  const quietP99 = percentile(quiet, 99);
  const floodedP99 = percentile(flooded, 99);
  const ratio = floodedP99 / quietP99;
  const answered = [...statuses.entries()].map(([status, count]) => `${count}× ${status || 'cut'}`).join(', ');
  return {
    rows: [
      {
        metric: `ack p99, signed requests while unsigned 1 MB bodies arrive at ${FLOOD_PER_SECOND}/s`,
        measured:
          `with them p50 ${formatMs(median(flooded))}, p99 ${formatMs(floodedP99)}; without p50 ` +
          `${formatMs(median(quiet))}, p99 ${formatMs(quietP99)} (n=${SAMPLES} each); unsigned bodies answered: ${answered}`,
        target: `< ${TARGET_RATIO}× the p99 without`,
        ratio: `${ratio.toFixed(2)}×`,
        verdict: verdict(ratio < TARGET_RATIO),
      },
    ],
    notes: [
      `Unsigned flood: ${SAMPLES} signed \`/cloudphone help\` commands one at a time (${SPACING_MS} ms apart) from the load worker, first alone, then while this process posts unsigned ${FLOOD_BODY_BYTES / 1024 / 1024} MB form bodies (many keys) at ${FLOOD_PER_SECOND}/s to /slack/events; the receiver refuses them on Content-Length (413) before reading.`,
    ],
  };
}
