import { describe, expect, it } from 'vitest';
import {
  isAllowedSender,
  judgeSender,
  MAIL_REFUSALS,
  type MailJudgement,
  mayReplyTo,
  parseAllowedSenders,
  type ReceiptVerdicts,
} from '../../../../shared/mail/policy.ts';

const PASS: ReceiptVerdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' };
const ALLOWED = parseAllowedSenders('@example.com, Owner@Example.org');

describe('parseAllowedSenders', () => {
  it('splits on commas, trims, lowercases and drops empty entries', () => {
    // Act
    const list = parseAllowedSenders(' Manager@Example.COM ,, @Stores.Example ,');

    // Assess
    expect(list).toEqual(['manager@example.com', '@stores.example']);
  });

  it('makes an empty list of an empty parameter: nobody is allowed', () => {
    // Act
    const list = parseAllowedSenders('');

    // Assess
    expect(list).toEqual([]);
    expect(isAllowedSender('anyone@example.com', list)).toBe(false);
  });
});

describe('isAllowedSender', () => {
  it('allows a whole domain by @domain and one address by itself, in any case', () => {
    // Assess
    expect(isAllowedSender('clerk@EXAMPLE.com', ALLOWED)).toBe(true);
    expect(isAllowedSender('owner@example.org', ALLOWED)).toBe(true);
    expect(isAllowedSender('other@example.org', ALLOWED)).toBe(false);
  });

  it('does not take a subdomain or a look-alike domain for the listed one', () => {
    // Assess
    expect(isAllowedSender('clerk@sub.example.com', ALLOWED)).toBe(false);
    expect(isAllowedSender('clerk@badexample.com', ALLOWED)).toBe(false);
    expect(isAllowedSender('clerk@example.com.evil', ALLOWED)).toBe(false);
  });

  it('refuses a message without a From address', () => {
    // Assess
    expect(isAllowedSender(undefined, ALLOWED)).toBe(false);
    expect(isAllowedSender('', ALLOWED)).toBe(false);
  });
});

describe('judgeSender', () => {
  it('accepts an allowed sender with every verdict PASS', () => {
    // Act
    const judgement = judgeSender(PASS, 'clerk@example.com', ALLOWED);

    // Assess
    expect(judgement).toEqual({ accepted: true });
  });

  it.each(['spf', 'dkim', 'dmarc'] as const)('refuses any %s FAIL, even with the others PASS', (check) => {
    // Act
    const judgement = judgeSender({ ...PASS, [check]: 'FAIL' }, 'clerk@example.com', ALLOWED);

    // Assess
    expect(judgement).toMatchObject({ accepted: false, reason: 'not_authenticated' });
    expect(judgement.accepted === false && judgement.detail).toContain(`${check.toUpperCase()} FAIL`);
  });

  it('accepts SPF alone or DKIM alone passing, and refuses neither passing', () => {
    // Act
    const spfOnly = judgeSender({ ...PASS, dkim: 'GRAY', dmarc: 'GRAY' }, 'clerk@example.com', ALLOWED);
    const dkimOnly = judgeSender({ ...PASS, spf: 'PROCESSING_FAILED' }, 'clerk@example.com', ALLOWED);
    const neither = judgeSender({ ...PASS, spf: 'GRAY', dkim: 'GRAY' }, 'clerk@example.com', ALLOWED);

    // Assess
    expect(spfOnly.accepted).toBe(true);
    expect(dkimOnly.accepted).toBe(true);
    expect(neither).toMatchObject({ accepted: false, reason: 'not_authenticated' });
  });

  it('refuses a virus or spam verdict other than PASS, the virus first', () => {
    // Act
    const both = judgeSender({ ...PASS, spam: 'FAIL', virus: 'FAIL' }, 'clerk@example.com', ALLOWED);
    const spam = judgeSender({ ...PASS, spam: 'GRAY' }, 'clerk@example.com', ALLOWED);

    // Assess
    expect(both).toMatchObject({ accepted: false, reason: 'virus' });
    expect(spam).toEqual({ accepted: false, reason: 'spam', detail: "SES's spam scan said GRAY." });
  });

  it('judges authentication before the allow-list: a forged From is refused as unauthenticated', () => {
    // Act
    const judgement = judgeSender({ ...PASS, dkim: 'FAIL', dmarc: 'FAIL' }, 'owner@example.org', ALLOWED);

    // Assess
    expect(judgement).toMatchObject({ accepted: false, reason: 'not_authenticated' });
  });

  it('refuses an authenticated sender who is not on the list, naming the address', () => {
    // Act
    const judgement = judgeSender(PASS, 'stranger@elsewhere.test', ALLOWED);

    // Assess
    expect(judgement).toEqual({
      accepted: false,
      reason: 'sender_not_allowed',
      detail: 'stranger@elsewhere.test is not on the list of allowed senders.',
    });
  });
});

describe('mayReplyTo', () => {
  it('replies after an acceptance and after a refusal of what the message carried only', () => {
    // Prepare
    const refusal = (reason: (typeof MAIL_REFUSALS)[number]): MailJudgement => ({
      accepted: false,
      reason,
      detail: '',
    });

    // Act
    const replied = MAIL_REFUSALS.filter((reason) => mayReplyTo(refusal(reason)));

    // Assess
    expect(mayReplyTo({ accepted: true })).toBe(true);
    expect(replied).toEqual(['no_csv_attachment', 'attachment_too_large']);
  });
});
