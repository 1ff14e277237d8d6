import { AwsApiError } from './errors.ts';
import {
  element,
  indexedPrefixes,
  mapElement,
  type QueryParams,
  readMessageAttributes,
  readStringMap,
} from './query.ts';
import type { SnsService, SnsSubscription } from './sns.ts';

export const SNS_XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

/**
 * SNS over the Query protocol: one Action per request, the result as the XML children of
 * `<ActionResult>` (undefined for actions that answer with metadata only).
 * https://docs.aws.amazon.com/sns/latest/api/CommonParameters.html
 */
export function handleSnsAction(sns: SnsService, action: string, params: QueryParams): string[] | undefined {
  switch (action) {
    case 'CreateTopic': {
      const tags = indexedPrefixes(params, 'Tags.member').map((member) => ({
        Key: params.get(`${member}.Key`) ?? '',
        Value: params.get(`${member}.Value`) ?? '',
      }));
      const topic = sns.createTopic(params.get('Name'), readStringMap(params, 'Attributes.entry'), tags);
      return [element('TopicArn', topic.arn)];
    }
    case 'ListTopics': {
      const { items, nextToken } = sns.listTopics(params.get('NextToken'));
      return [
        element(
          'Topics',
          items.map((topic) => element('member', [element('TopicArn', topic.arn)])),
        ),
        element('NextToken', nextToken),
      ];
    }
    case 'GetTopicAttributes':
      return [mapElement('Attributes', sns.topicAttributes(params.get('TopicArn')))];
    case 'SetTopicAttributes':
      sns.setTopicAttribute(
        params.get('TopicArn'),
        params.get('AttributeName'),
        params.get('AttributeValue'),
      );
      return undefined;
    case 'DeleteTopic':
      sns.deleteTopic(params.get('TopicArn'));
      return undefined;
    case 'Subscribe': {
      const subscription = sns.subscribe(
        params.get('TopicArn'),
        params.get('Protocol'),
        params.get('Endpoint'),
        readStringMap(params, 'Attributes.entry'),
      );
      return [element('SubscriptionArn', subscription.arn)];
    }
    case 'Unsubscribe':
      sns.unsubscribe(params.get('SubscriptionArn'));
      return undefined;
    case 'GetSubscriptionAttributes': {
      const subscription = sns.getSubscription(params.get('SubscriptionArn'));
      return [
        mapElement('Attributes', {
          SubscriptionArn: subscription.arn,
          TopicArn: subscription.topicArn,
          Protocol: subscription.protocol,
          Endpoint: subscription.endpoint,
          Owner: subscription.owner,
          ConfirmationWasAuthenticated: 'true',
          PendingConfirmation: 'false',
          RawMessageDelivery: 'false',
          ...subscription.attributes,
        }),
      ];
    }
    case 'ListSubscriptions':
    case 'ListSubscriptionsByTopic': {
      const topicArn = action === 'ListSubscriptionsByTopic' ? (params.get('TopicArn') ?? '') : undefined;
      const { items, nextToken } = sns.listSubscriptions(topicArn, params.get('NextToken'));
      return [element('Subscriptions', items.map(subscriptionMember)), element('NextToken', nextToken)];
    }
    case 'Publish': {
      const topicArn = params.get('TopicArn') ?? params.get('TargetArn');
      if (topicArn === undefined && params.has('PhoneNumber')) {
        throw new AwsApiError(
          'InvalidParameter',
          'Invalid parameter: the local endpoint publishes to topics only',
        );
      }
      const result = sns.publish(topicArn, {
        subject: params.get('Subject'),
        message: params.get('Message'),
        messageStructure: params.get('MessageStructure'),
        messageAttributes: readMessageAttributes(params, 'MessageAttributes.entry'),
        messageGroupId: params.get('MessageGroupId'),
      });
      return [element('MessageId', result.messageId), element('SequenceNumber', result.sequenceNumber)];
    }
    case 'PublishBatch': {
      const entries = indexedPrefixes(params, 'PublishBatchRequestEntries.member').map((member) => ({
        id: params.get(`${member}.Id`),
        subject: params.get(`${member}.Subject`),
        message: params.get(`${member}.Message`),
        messageStructure: params.get(`${member}.MessageStructure`),
        messageAttributes: readMessageAttributes(params, `${member}.MessageAttributes.entry`),
        messageGroupId: params.get(`${member}.MessageGroupId`),
      }));
      const result = sns.publishBatch(params.get('TopicArn'), entries);
      return [
        element(
          'Successful',
          result.successful.map((entry) =>
            element('member', [
              element('Id', entry.id),
              element('MessageId', entry.messageId),
              element('SequenceNumber', entry.sequenceNumber),
            ]),
          ),
        ),
        element(
          'Failed',
          result.failed.map((entry) =>
            element('member', [
              element('Id', entry.id),
              element('Code', entry.code),
              element('Message', entry.message),
              element('SenderFault', entry.senderFault),
            ]),
          ),
        ),
      ];
    }
    default:
      throw new AwsApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
  }
}

function subscriptionMember(subscription: SnsSubscription): string {
  return element('member', [
    element('SubscriptionArn', subscription.arn),
    element('Owner', subscription.owner),
    element('Protocol', subscription.protocol),
    element('Endpoint', subscription.endpoint),
    element('TopicArn', subscription.topicArn),
  ]);
}
