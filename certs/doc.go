// Package certs provides the webhook's serving certificate in
// self-signed mode.
//
// The API server only calls an admission webhook over TLS, verifying the
// serving certificate against the caBundle of the webhook configuration.
// gateguard supports three ways of getting that certificate in place:
//
//   - File mode (the default). The webhook server serves tls.crt and
//     tls.key from --cert-dir through controller-runtime's certwatcher,
//     which reloads them when they change. Whoever provides the files
//     (typically a Secret volume) also sets caBundle. A rotated Secret is
//     picked up by the kubelet's volume refresh and then by certwatcher,
//     without a restart.
//
//   - Self-signed mode (this package). gateguard is its own certificate
//     authority, as cert-manager's own webhook is ("dynamic serving"):
//     a Bootstrapper keeps a CA and a serving certificate in one Secret
//     (tls.crt, tls.key, ca.crt and ca.key, so that any replica can renew),
//     writes tls.crt and tls.key into --cert-dir for certwatcher, and
//     patches caBundle into every webhook of the Validating and Mutating
//     webhook configurations. It re-checks periodically, so certificates
//     renew before they expire and a caBundle overwritten by a re-applied
//     manifest is repaired. No other component is needed.
//
//   - cert-manager mode (manifests only). A cert-manager Certificate
//     issues the Secret that file mode mounts, and cert-manager's
//     cainjector sets caBundle from the annotation
//     cert-manager.io/inject-ca-from. No code in gateguard is involved.
//
// In self-signed mode, every replica runs a Bootstrapper: no leader is
// elected, because each replica needs the files on its own disk. Replicas
// coordinate through the Secret alone: creation races are settled by
// AlreadyExists and renewal races by resourceVersion conflicts, after which
// the loser adopts the winner's certificate.
//
// When the CA itself is renewed, the previous CA stays in ca.crt (and so in
// caBundle) until it expires, so replicas that have not yet picked up the
// new serving certificate are still trusted in the meantime.
package certs
