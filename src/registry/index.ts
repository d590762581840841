/**
 * The registry: models and datasets by digest, model cards, aliases with history, trusted signers, promotion gates,
 * security reviews, rollback, incidents and signed webhooks. Every action is authorized by the access layer and
 * recorded in the audit log. `resolveAlias` and `registryVersion` are what a gateway needs to follow an alias.
 */
export { RegistryError, type RegistryErrorCode } from './errors.js';
export { emit, type RegistryDeps, type RegistryEvent } from './deps.js';
export { cardJsonSchema, CardDraftSchema, missingCardFields, ModelCardSchema, parseCard, type CardDraft, type ModelCard } from './card.js';
export { cyclonedxBom, cyclonedxProblem, exportCyclonedx, type CardSubject } from './cyclonedx.js';
export { huggingfaceCard, markdownCard } from './card-text.js';
export { checkAlias, checkName, checkVersion, parseRef } from './names.js';
export { addTrust, listTrust, removeTrust, type TrustedSigner } from './trust.js';
export { registerDataset, registerModel, type ModelRegistration } from './register.js';
export { getVersion, listVersions, type RegistrationFindings, type VersionRecord } from './versions.js';
export { aliasMoves, changedAliases, frozenBy, lastKnownGood, listAliases, registryVersion, resolveAlias, rollback, setAlias, type AliasMove, type Resolved } from './aliases.js';
export { BUILTIN_GATES, defaultGates, GateSet, type Gate, type GateContext, type GateResult } from './gates.js';
export { gatesFor, promote, review, type PromotionResult } from './promote.js';
export { modelHistory } from './history.js';
export { closeIncident, listIncidents, openIncident, type Incident, type IncidentStep } from './incidents.js';
export { deliver, signWebhook, verifyWebhook, webhookNotifier, type Delivery, type DeliveryOptions, type WebhookTarget } from './webhooks.js';
