/**
 * Messages about two-person approval: the request the approvers get (what will happen, on which instances, from which
 * backup or with which schedule, Approve / Deny), the same message once decided, the notes in the request's thread (waiting, each
 * decision), the form that asks a denying approver why, and the answers to an approver whose click is refused.
 */
import type { KnownBlock, ModalView } from '@slack/types';
import type { ApprovalDecision } from '../db/approvals.js';
import type { DecideRefusal } from '../services/approval/service.js';
import type { ApprovalSubject, ApprovalView } from '../services/approval/step.js';
import type { ScheduleApprovalView } from '../services/schedules/approval.js';
import { cadenceInWords } from '../services/schedules/cadence.js';
import { cancelButtonBlock } from './cancel-messages.js';
import { appsText, code, context, plain, SIMULATED_NOTE, section } from './common.js';
import { inlineText } from './escape.js';
import { channelLink, mention, plural, slackDate, summariseList } from './format.js';
import { ACTION, BLOCK, CALLBACK, COMMAND } from './ids.js';
import type { SlackMessage } from './limits.js';
import { retentionInWords } from './schedule-messages.js';

/** "asked … to <verb>", and "this <noun> waits for approval". */
const VERB = { restore: 'restore', delete: 'delete', schedule: 'save a schedule with retention' } as const;
const NOUN = { restore: 'restore', delete: 'delete', schedule: 'schedule' } as const;

/** A schedule as its approvers see it: name, owner, targets, apps, cadence in words, and what its retention deletes. */
function scheduleWillHappen(subject: ApprovalSubject, schedule: NonNullable<ApprovalSubject['schedule']>): string {
  const { spec } = schedule;
  const targets = summariseList(spec.targets, (target) => code(target, 40), 600);
  const instances = summariseList(subject.instanceIds, (id) => code(id), 800);
  return [
    `*${schedule.change === 'create' ? 'New schedule' : 'Changed schedule'}* ${code(schedule.name, 40)} of ${mention(schedule.ownerId)}: backs up ${appsText(spec.apps, 400)} ${inlineText(cadenceInWords(spec), 200)}, on targets ${targets} (now ${plural(subject.instanceIds.length, 'instance')}: ${instances}).`,
    `*Retention:* ${retentionInWords(spec.retention)}: every run deletes older backups of these instances, unattended. Once approved, its runs prune without asking again.`,
  ].join('\n');
}

/** "restore `bf-…` (`name`, created …) onto `acp-…`, `acp-…`" / "delete `bf-…` (made from `acp-…`)". */
function whatWillHappen(view: ApprovalView): string {
  const { subject } = view;
  if (subject.schedule) return scheduleWillHappen(subject, subject.schedule);
  const backups = summariseList(
    subject.backups.map((backup) => backup.backupFileId),
    (id) => {
      const backup = subject.backups.find((b) => b.backupFileId === id);
      const details = [
        backup?.name ? code(backup.name, 80) : '',
        backup?.createdAt !== undefined ? `created ${slackDate(new Date(backup.createdAt))}` : '',
      ].filter(Boolean);
      return `${code(id)}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
    },
    1_200,
  );
  const instances = summariseList(subject.instanceIds, (id) => code(id), 1_200);
  if (subject.kind === 'restore') {
    const apps = appsText(subject.backups[0]?.apps ?? [], 400);
    return `*Restore* backup ${backups} onto ${plural(subject.instanceIds.length, 'instance')}: ${instances}\nThe apps (${apps}) on these instances are uninstalled and replaced by the backup's data.`;
  }
  return `*Delete* ${plural(subject.backups.length, 'backup')} for good: ${backups}\nMade from ${instances}.`;
}

function rulesLine(view: ApprovalView): string {
  const { approval } = view;
  const approvers = approval.approvers.map((ref) =>
    ref.startsWith('U') || ref.startsWith('W') ? mention(ref) : code(ref),
  );
  return `Rule ${code(approval.rule)}: ${plural(approval.required, 'approval')} needed from ${approvers.join(', ')} · expires ${slackDate(new Date(approval.expiresAt))}`;
}

function decisionsLine(view: ApprovalView): string | undefined {
  const lines = view.approval.decisions.map((d) => decisionText(d));
  return lines.length > 0 ? lines.join('\n') : undefined;
}

function decisionText(decision: ApprovalDecision): string {
  return decision.decision === 'approve'
    ? `✅ Approved by ${mention(decision.userId)}`
    : `⛔ Denied by ${mention(decision.userId)}: ${inlineText(decision.reason ?? 'no reason given', 500)}`;
}

const OUTCOME: Record<string, string> = {
  waiting: '✋ Waiting for approval',
  approved: '✅ Approved: the bot carries on',
  denied: '⛔ Denied: nothing was changed',
  expired: '⌛ Expired: nobody approved it in time, nothing was changed',
  superseded: '↪️ Superseded: the schedule was changed again or deleted before this was decided',
  cancelled: '🛑 Cancelled while it waited: nothing was changed',
};

/** What approvers get: the request, and Approve / Deny while it waits. */
export function approvalRequestMessage(view: ApprovalView): SlackMessage {
  const { subject, approval } = view;
  const asked = `${mention(subject.requesterId)} asked in ${channelLink(subject.channelId)} to ${VERB[subject.kind]} (request ${code(subject.requestId)}). It waits for your approval.`;
  const blocks: KnownBlock[] = [];
  if (subject.simulated) blocks.push(context(SIMULATED_NOTE));
  blocks.push(section(asked), section(whatWillHappen(view)), context(rulesLine(view)));
  const decided = decisionsLine(view);
  if (decided) blocks.push(section(decided));
  if (approval.state === 'waiting') {
    blocks.push({
      type: 'actions',
      block_id: BLOCK.approvalButtons,
      elements: [
        {
          type: 'button',
          action_id: ACTION.approvalApprove,
          text: plain('Approve'),
          style: 'primary',
          value: subject.requestId,
        },
        {
          type: 'button',
          action_id: ACTION.approvalDeny,
          text: plain('Deny…'),
          style: 'danger',
          value: subject.requestId,
        },
      ],
    });
  } else {
    blocks.push(section(`*${OUTCOME[approval.state]}*`));
  }
  const what = subject.schedule ? subject.schedule.name : subject.backups.map((b) => b.backupFileId).join(', ');
  const text = `${subject.simulated ? '[Simulated] ' : ''}Approval needed: ${subject.kind} ${what} (${subject.requestId}): ${OUTCOME[approval.state]}`;
  return { text, blocks };
}

/** In the request's thread (or its channel): the request waits, for whom, until when. */
export function approvalWaitingNote(view: ApprovalView): SlackMessage {
  const { subject, approval } = view;
  const where = approval.channel ? `in ${channelLink(approval.channel)}` : 'by direct message';
  const until = subject.schedule ? 'It takes no runs until it is approved.' : 'Nothing changes until it is approved.';
  const text = `✋ ${mention(subject.requesterId)}, this ${NOUN[subject.kind]} (${code(subject.requestId)}) waits for approval; the approvers were asked ${where}. ${until}`;
  const blocks: KnownBlock[] = [section(text), section(whatWillHappen(view)), context(rulesLine(view))];
  // A schedule's change is withdrawn by changing or deleting the schedule; the other kinds are cancelled here.
  if (subject.kind !== 'schedule') blocks.push(cancelButtonBlock(subject.kind, subject.requestId));
  return { text, blocks };
}

/** In the request's thread: one approver's decision, with the count so far. */
export function approvalDecisionNote(view: ApprovalView, decision: ApprovalDecision): SlackMessage {
  const approvals = view.approval.decisions.filter(
    (d) => d.decision === 'approve' && d.decidedAt <= decision.decidedAt,
  );
  const count = decision.decision === 'approve' ? ` (${approvals.length} of ${view.approval.required})` : '';
  const text = `${decisionText(decision)}${count}`;
  return { text, blocks: [section(text)] };
}

/** The form a denying approver fills in. */
export function approvalDenyModal(requestId: string): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.approvalDenyReason,
    title: plain('Deny the request'),
    submit: plain('Deny'),
    close: plain('Cancel'),
    private_metadata: JSON.stringify({ requestId }),
    blocks: [
      section(`Request ${code(requestId)}: the requester sees your reason in the request's thread.`),
      {
        type: 'input',
        block_id: BLOCK.approvalReason,
        label: plain('Why do you deny it?'),
        element: {
          type: 'plain_text_input',
          action_id: ACTION.approvalReason,
          multiline: true,
          max_length: 500,
        },
      },
    ],
  };
}

/** The reason a denying approver typed, trimmed; '' when none. */
export function readDenyReason(values: Record<string, Record<string, { value?: string | null }>>): string {
  return values[BLOCK.approvalReason]?.[ACTION.approvalReason]?.value?.trim() ?? '';
}

/** What an approver whose click did not count reads (only they see it). */
export function approvalRefusedText(reason: DecideRefusal, detail?: string): string {
  switch (reason) {
    case 'own-request':
      return '🔒 You asked for this yourself; someone else must approve it.';
    case 'not-an-approver':
      return `🔒 You can't decide this request: ${detail ?? 'you are not among its approvers'}.`;
    case 'denied':
      return `🔒 You can't approve this: ${detail ?? 'no rule lets you do this yourself'}.`;
    case 'expired':
      return '⌛ This request has expired; nothing was changed. The requester can ask again.';
    case 'ended':
      return `This request is no longer waiting (${detail ?? 'decided'}).`;
    case 'already-decided':
      return 'You decided on this request already.';
    case 'no-reason':
      return 'Say why you deny it: the requester sees the reason.';
    default:
      return 'The bot has no record of this request.';
  }
}

/** The approver's own confirmation of a decision that counted. */
export function approvalRecordedText(decision: 'approve' | 'deny', requestId: string): string {
  return decision === 'approve'
    ? `✅ Your approval of ${code(requestId)} is recorded.`
    : `⛔ Your denial of ${code(requestId)} is recorded; nothing will be changed.`;
}

/**
 * The result of a schedule's request for approval, in the thread of its waiting note: active from when, or why it
 * stays held (the denial and its reason, the expiry, a newer change). The owner is mentioned, so they are told too.
 */
export function scheduleApprovalResultMessage(view: ScheduleApprovalView): SlackMessage {
  const { detail } = view;
  const name = `*${inlineText(detail.scheduleName, 40)}*`;
  const people = [...new Set([view.requester.userId, detail.ownerId])].map(mention).join(', ');
  const again = `It takes no runs: change it (\`${COMMAND} schedule edit ${detail.scheduleName}\`) to ask again, or delete it.`;
  const denial = view.approval?.decisions.find((d) => d.decision === 'deny');
  let text: string;
  switch (view.status) {
    case 'activated':
      text = `✅ ${people}, schedule ${name} is approved and active: ${detail.nextSlotAt === undefined ? 'its cadence has no run ahead' : `next run ${slackDate(new Date(detail.nextSlotAt))}`}. Its runs keep the retention without asking again.`;
      break;
    case 'denied':
      text = `⛔ ${people}, schedule ${name} was denied by ${denial ? mention(denial.userId) : 'an approver'}: ${inlineText(denial?.reason ?? 'no reason given', 500)}. ${again}`;
      break;
    case 'expired':
      text = `⌛ ${people}, nobody approved schedule ${name} in time${view.approval ? ` (rule ${code(view.approval.rule)}, ${plural(Math.round(view.approval.expiresMs / 60_000), 'minute')})` : ''}. ${again}`;
      break;
    default:
      text = `↪️ This request for schedule ${name} (${code(view.id)}) no longer applies: the schedule was changed again or deleted before it was decided.`;
  }
  const blocks: KnownBlock[] = [];
  if (view.simulated) blocks.push(context(SIMULATED_NOTE));
  blocks.push(section(text));
  return { text, blocks };
}
