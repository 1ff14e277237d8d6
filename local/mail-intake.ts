import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { functionLogicalId, type StackResources } from './resources.ts';
import type { LocalService } from './service.ts';
import { startSmtp } from './smtp.ts';

/**
 * SES receiving, as serverless.yml's receipt rule declares it (MailReceiptRule): its
 * recipient, its S3 action (the uploads bucket, `mail/`) and its Lambda action (an Event
 * invocation, so journaled and retried like an S3 event). Undefined without a mail part.
 */
export async function startMailIntake(options: {
  stack: StackResources;
  options: { ports?: { smtp?: number } };
  s3Url: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  triggers: { invokeAsync: (key: string, event: unknown) => void };
  log: (line: string) => void;
}): Promise<LocalService | undefined> {
  const { stack } = options;
  const rule = stack.resources.MailReceiptRule?.Properties?.Rule as { Recipients?: string[] } | undefined;
  const recipient = rule?.Recipients?.[0];
  if (!recipient || !stack.config.functions.mailInventory) return undefined;
  const bucket = stack.ref('S3BucketUploads');
  const s3 = new S3Client({
    endpoint: options.s3Url,
    region: stack.account.region,
    credentials: options.credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const service = await startSmtp({
    port: options.options.ports?.smtp ?? 0,
    recipient,
    region: stack.account.region,
    functionArn: stack.getAtt(functionLogicalId('mailInventory'), 'Arn'),
    store: async (messageId, raw) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `mail/${messageId}`, Body: raw }));
    },
    invoke: (event) => options.triggers.invokeAsync('mailInventory', event),
    log: options.log,
  });
  const stop = async () => {
    await service.stop();
    s3.destroy();
  };
  return { ...service, stop };
}
