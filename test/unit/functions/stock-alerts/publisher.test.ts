import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { snsPublisher } from '../../../../functions/stock-alerts/publisher.ts';
import { stockAlertMessage } from '../../../../shared/stock/alerts.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:000000000000:out-of-stock';

describe('snsPublisher', () => {
  it('publishes the alert as one SNS message with its subject and attributes', async () => {
    // Prepare
    const sns = new SNSClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const snsMock = mockClient(sns);
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const message = stockAlertMessage('out_of_stock', {
      previousCount: 3,
      current: { store: 's1', item: 'fig', count: 0, source: null },
      eventId: 'e1',
      at: '2025-03-01T10:00:00.000Z',
    });

    // Act
    const messageId = await snsPublisher(sns, TOPIC)(message);

    // Assess
    expect(messageId).toBe('m-1');
    const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input).toEqual({
      TopicArn: TOPIC,
      Subject: message.subject,
      Message: JSON.stringify(message.body),
      MessageAttributes: message.attributes,
    });
    expect(JSON.parse(input?.Message ?? '{}')).toMatchObject({ eventId: 'e1', item: 'fig' });
  });
});
