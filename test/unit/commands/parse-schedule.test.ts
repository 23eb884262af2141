import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/commands/parse-command.js';
import { validateScheduleInput } from '../../../src/services/schedules/spec.js';

const reason = (text: string): string => {
  const parsed = parseCommand(text);
  if (parsed.kind !== 'unknown') throw new Error(`expected an error for ${text}, got ${JSON.stringify(parsed)}`);
  return parsed.reason;
};

describe('parseCommand: schedule', () => {
  it('opens the form with no arguments', () => {
    expect(parseCommand('schedule')).toEqual({ kind: 'schedule', action: 'form' });
  });

  it('reads `schedule add` with every option, the cron quoted and the channel as Slack escapes it', () => {
    const parsed = parseCommand(
      'schedule add nightly-qa --targets acp-qa1,ag-qa01,acp-qa* --apps com.a,com.b --path oss://cloudphone-saved-bucket-x/b/ ' +
        '--cron "0 3 * * *" --tz Asia/Shanghai --keep 7 --max-age 30d --wave 10% --endpoint oss-cn-shanghai.aliyuncs.com ' +
        '--channel <#C0OPS|ops>',
    );
    expect(parsed).toEqual({
      kind: 'schedule',
      action: 'add',
      raw: {
        name: 'nightly-qa',
        targets: 'acp-qa1,ag-qa01,acp-qa*',
        apps: 'com.a,com.b',
        backupPath: 'oss://cloudphone-saved-bucket-x/b/',
        cron: '0 3 * * *',
        timeZone: 'Asia/Shanghai',
        keep: '7',
        maxAge: '30d',
        wave: '10%',
        uploadEndpoint: 'oss-cn-shanghai.aliyuncs.com',
        description: undefined,
        channelId: 'C0OPS',
      },
    });
    // What it read is what the form's checks take.
    if (parsed.kind !== 'schedule' || parsed.action !== 'add') throw new Error('not add');
    const checked = validateScheduleInput(parsed.raw);
    expect(checked.ok).toBe(true);
  });

  it('takes curly quotes around the cron, a plain channel id, and leaves optional values out', () => {
    const parsed = parseCommand(
      'schedule add n1 --targets acp-a --apps com.a --path oss://x/ --cron “0 3 * * 1” --channel C0OPS',
    );
    expect(parsed).toMatchObject({
      kind: 'schedule',
      action: 'add',
      raw: { cron: '0 3 * * 1', channelId: 'C0OPS', keep: undefined, timeZone: undefined },
    });
  });

  it('says what is wrong with the command line itself', () => {
    expect(reason('schedule add')).toContain('needs a name first');
    expect(reason('schedule add n1 --cron 0 3 * * *')).toContain('quote the cron expression');
    expect(reason('schedule add n1 --cron')).toContain('`--cron` needs a value, like `--cron "0 3 * * *"`');
    expect(reason('schedule add n1 --every day')).toContain('is not an option of `schedule`');
    expect(reason('schedule add n1 --channel #ops')).toContain('pick the channel from Slack');
    expect(reason('schedule add n1 --keep 1 --keep 2')).toContain('given twice');
  });

  it('reads list, and show, edit, pause, resume, delete, run and prune-preview with one name', () => {
    expect(parseCommand('schedule list')).toEqual({ kind: 'schedule', action: 'list' });
    for (const action of ['show', 'edit', 'pause', 'resume', 'delete', 'run', 'prune-preview'] as const) {
      expect(parseCommand(`schedule ${action} nightly-qa`)).toEqual({ kind: 'schedule', action, name: 'nightly-qa' });
      expect(reason(`schedule ${action}`)).toContain(`\`schedule ${action}\` takes one schedule name`);
      expect(reason(`schedule ${action} a b`)).toContain('takes one schedule name');
    }
  });

  it('names every subcommand when the subcommand is unknown, with a suggestion when one is close', () => {
    const text = reason('schedule pasue x');
    expect(text).toContain('Did you mean `pause`?');
    expect(reason('schedule prune-preveiw x')).toContain('Did you mean `prune-preview`?');
    for (const action of ['add', 'list', 'show', 'edit', 'pause', 'resume', 'delete', 'run', 'prune-preview'])
      expect(text).toContain(`\`${action}\``);
    expect(parseCommand('schedule --help')).toEqual({ kind: 'help', topic: 'schedule' });
    expect(parseCommand('help schedule')).toEqual({ kind: 'help', topic: 'schedule' });
  });
});
