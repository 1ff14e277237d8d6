'use strict';

/**
 * Serverless plugin: copies `custom.cloudFormationRules` into the template's `Rules`
 * section, which the framework's configuration schema does not accept under `resources`.
 * CloudFormation checks these rules against the parameters before it creates or changes
 * anything: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html
 */
/**
 * The regions with an SES inbound endpoint (inbound-smtp.<region>.amazonaws.com) known to
 * this project, from the table of email receiving endpoints; AWS adds regions there from
 * time to time: add one here when it is in that table (docs/mail.md says the same).
 */
const SES_RECEIVING_DOC = 'https://docs.aws.amazon.com/general/latest/gr/ses.html#ses_inbound_endpoints';
const SES_RECEIVING_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];

class TemplateRules {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.addRules() };
  }

  addRules() {
    // A web ACL of CloudFront scope is made in us-east-1 only; say so at packaging rather
    // than have CloudFormation fail half-way through a deploy.
    // https://docs.aws.amazon.com/waf/latest/developerguide/how-aws-waf-works-resources.html
    const service = this.serverless.service;
    const waf = service.resources?.Parameters?.Waf?.Default;
    const region = service.provider.region;
    if (String(waf) === 'true' && region !== 'us-east-1') {
      throw new this.serverless.classes.Error(
        `waf=true makes the web ACL in the stack, which CloudFront allows only in us-east-1, and this stack is for ${region}: deploy it to us-east-1, or make the web ACL in us-east-1 and pass its ARN as webAclArn.`,
      );
    }
    // SES receives mail in a few regions only; the mail part elsewhere would fail mid-deploy.
    const mailDomain = service.resources?.Parameters?.MailDomain?.Default;
    if (mailDomain && !SES_RECEIVING_REGIONS.includes(region)) {
      throw new this.serverless.classes.Error(
        `mailDomain is set, and SES receives mail only in ${SES_RECEIVING_REGIONS.join(', ')} (${SES_RECEIVING_DOC}); this stack is for ${region}: deploy it to one of those regions, or leave mailDomain empty.`,
      );
    }
    const rules = this.serverless.service.custom?.cloudFormationRules;
    if (!rules) return;
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    template.Rules = { ...(template.Rules ?? {}), ...rules };
  }
}

module.exports = TemplateRules;
module.exports.SES_RECEIVING_REGIONS = SES_RECEIVING_REGIONS;
module.exports.SES_RECEIVING_DOC = SES_RECEIVING_DOC;
