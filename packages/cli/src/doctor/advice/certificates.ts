/** What a certificate error means for a person, its likely causes, and what to do. */
export interface CertificateAdvice {
  readonly what: string;
  readonly causes: readonly string[];
  readonly fix: readonly string[];
}

/** Human text for the certificate errors Node reports (OpenSSL's X509_V_ERR_* and Node's own). */
export const certificateAdvice: Readonly<Record<string, CertificateAdvice>> = {
  CERT_HAS_EXPIRED: {
    what: 'the certificate has expired',
    causes: [
      "The certificate was not renewed in time (an ACME/Let's Encrypt renewal job that stopped, a manual certificate forgotten).",
      "This machine's clock is wrong (check `date`).",
    ],
    fix: ['Renew the certificate on the server and reload it.'],
  },
  CERT_NOT_YET_VALID: {
    what: 'the certificate is not valid yet',
    causes: [
      "This machine's clock, or the server's, is wrong.",
      'A certificate issued for a future date was installed.',
    ],
    fix: ["Check the clocks (NTP), then the certificate's notBefore date."],
  },
  DEPTH_ZERO_SELF_SIGNED_CERT: {
    what: 'the certificate is self-signed',
    causes: [
      'The server uses a self-signed certificate (a development or default certificate), which nothing trusts by default.',
    ],
    fix: [
      'Use a certificate from a trusted CA on the server, or trust this one explicitly: --ca FILE with the certificate (PEM).',
    ],
  },
  SELF_SIGNED_CERT_IN_CHAIN: {
    what: 'the chain ends at a self-signed root that is not trusted here',
    causes: [
      'The certificate comes from a private CA (a company CA, a proxy that inspects TLS) not in this trust store.',
    ],
    fix: ['Trust the private CA: --ca FILE with its certificate (PEM).'],
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    what: "the certificate's issuer is unknown: the chain cannot be verified",
    causes: [
      'The server sends only its own certificate without the intermediate certificates.',
      'The certificate comes from a CA that this machine does not trust.',
    ],
    fix: [
      'Configure the server to send the full chain (nginx: ssl_certificate with fullchain.pem).',
      'Or trust the issuing CA: --ca FILE.',
    ],
  },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: {
    what: 'the issuer of the certificate is not in the local trust store',
    causes: [
      'The certificate comes from a CA that this machine does not trust, or the server omits an intermediate certificate.',
    ],
    fix: ['Configure the server to send the full chain, or trust the CA: --ca FILE.'],
  },
  UNABLE_TO_GET_ISSUER_CERT: {
    what: 'the issuer certificate of a certificate in the chain is missing',
    causes: ['The server omits an intermediate certificate.'],
    fix: ['Configure the server to send the full chain.'],
  },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    what: 'the certificate is for another host name',
    causes: [
      'The URL uses a name (or an IP address) that the certificate does not list in its subjectAltName: a different domain, a missing www., an IP instead of a name.',
      'Several sites share this address and the server picked the wrong certificate (SNI).',
    ],
    fix: [
      'Connect with a host name the certificate lists, or issue a certificate that includes this name.',
    ],
  },
  CERT_REVOKED: {
    what: 'the certificate has been revoked',
    causes: ['The CA revoked the certificate (a compromised key, a reissue).'],
    fix: ['Install a new certificate on the server.'],
  },
};
