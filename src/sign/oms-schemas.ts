/*
 * The OMS v1.0 JSON Schemas (draft 2020-12), from ossf/model-signing-spec `schemas/v1.0/` at commit a0c91e2c9302,
 * Apache-2.0 (Copyright The OpenSSF Model Signing authors), with their `title` and `description` texts removed.
 * Statements and bundles are checked against them with Ajv; see docs/design.md for the relaxations the reference
 * implementation's own bundles need.
 */

export const BUNDLE_SCHEMA = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://model_signing/bundle/v1.0/schema",
  "type": "object",
  "required": [
    "mediaType",
    "verificationMaterial",
    "dsseEnvelope"
  ],
  "properties": {
    "mediaType": {
      "type": "string",
      "pattern": "^application/vnd\\.dev\\.sigstore\\.bundle"
    },
    "verificationMaterial": {
      "$ref": "#/$defs/verification_material"
    },
    "dsseEnvelope": {
      "$ref": "https://model_signing/envelope/v1.0/schema"
    }
  },
  "additionalProperties": false,
  "$defs": {
    "verification_material": {
      "type": "object",
      "anyOf": [
        {
          "required": [
            "publicKey"
          ],
          "properties": {
            "publicKey": {
              "$ref": "#/$defs/public_key_identifier"
            },
            "tlogEntries": {
              "$ref": "#/$defs/tlog_entries"
            },
            "timestampVerificationData": {
              "$ref": "#/$defs/timestamp_verification_data"
            }
          }
        },
        {
          "required": [
            "x509CertificateChain"
          ],
          "properties": {
            "x509CertificateChain": {
              "$ref": "#/$defs/x509_certificate_chain"
            },
            "tlogEntries": {
              "$ref": "#/$defs/tlog_entries"
            },
            "timestampVerificationData": {
              "$ref": "#/$defs/timestamp_verification_data"
            }
          }
        },
        {
          "required": [
            "certificate",
            "tlogEntries"
          ],
          "properties": {
            "certificate": {
              "$ref": "#/$defs/x509_certificate"
            },
            "tlogEntries": {
              "$ref": "#/$defs/tlog_entries"
            },
            "timestampVerificationData": {
              "$ref": "#/$defs/timestamp_verification_data"
            }
          }
        }
      ]
    },
    "public_key_identifier": {
      "type": "object",
      "anyOf": [
        {
          "required": [
            "hint"
          ]
        },
        {
          "required": [
            "rawBytes"
          ]
        }
      ],
      "properties": {
        "hint": {
          "type": "string"
        },
        "rawBytes": {
          "type": "string"
        }
      },
      "additionalProperties": true
    },
    "x509_certificate": {
      "type": "object",
      "required": [
        "rawBytes"
      ],
      "properties": {
        "rawBytes": {
          "type": "string",
          "minLength": 1
        }
      },
      "additionalProperties": true
    },
    "x509_certificate_chain": {
      "type": "object",
      "required": [
        "certificates"
      ],
      "properties": {
        "certificates": {
          "type": "array",
          "minItems": 1,
          "items": {
            "$ref": "#/$defs/x509_certificate"
          }
        }
      },
      "additionalProperties": true
    },
    "tlog_entries": {
      "type": "array",
      "items": {
        "$ref": "#/$defs/transparency_log_entry"
      }
    },
    "transparency_log_entry": {
      "type": "object",
      "properties": {
        "logIndex": {
          "type": "string"
        },
        "logId": {
          "type": "object",
          "properties": {
            "keyId": {
              "type": "string"
            }
          },
          "additionalProperties": true
        },
        "kindVersion": {
          "type": "object",
          "properties": {
            "kind": {
              "type": "string"
            },
            "version": {
              "type": "string"
            }
          },
          "additionalProperties": true
        },
        "integratedTime": {
          "type": "string"
        },
        "inclusionPromise": {
          "type": "object",
          "properties": {
            "signedEntryTimestamp": {
              "type": "string"
            }
          },
          "additionalProperties": true
        },
        "inclusionProof": {
          "type": "object",
          "properties": {
            "logIndex": {
              "type": "string"
            },
            "rootHash": {
              "type": "string"
            },
            "treeSize": {
              "type": "string"
            },
            "hashes": {
              "type": "array",
              "items": {
                "type": "string"
              }
            },
            "checkpoint": {
              "type": "object",
              "properties": {
                "envelope": {
                  "type": "string"
                }
              },
              "additionalProperties": true
            }
          },
          "additionalProperties": true
        },
        "canonicalizedBody": {
          "type": "string"
        }
      },
      "additionalProperties": true
    },
    "timestamp_verification_data": {
      "type": "object",
      "properties": {
        "rfc3161Timestamps": {
          "type": "array",
          "items": {
            "type": "object",
            "properties": {
              "signedTimestamp": {
                "type": "string"
              }
            },
            "additionalProperties": true
          }
        }
      },
      "additionalProperties": true
    }
  }
} as const;

export const ENVELOPE_SCHEMA = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://model_signing/envelope/v1.0/schema",
  "type": "object",
  "required": [
    "payload",
    "payloadType",
    "signatures"
  ],
  "properties": {
    "payload": {
      "type": "string",
      "minLength": 1
    },
    "payloadType": {
      "type": "string",
      "const": "application/vnd.in-toto+json"
    },
    "signatures": {
      "type": "array",
      "minItems": 1,
      "items": {
        "$ref": "#/$defs/signature"
      }
    }
  },
  "additionalProperties": false,
  "$defs": {
    "signature": {
      "type": "object",
      "required": [
        "sig"
      ],
      "properties": {
        "sig": {
          "type": "string",
          "minLength": 1
        },
        "keyid": {
          "type": [
            "string",
            "null"
          ]
        }
      },
      "additionalProperties": false
    }
  }
} as const;

export const STATEMENT_SCHEMA = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://model_signing/statement/v1.0/schema",
  "type": "object",
  "required": [
    "_type",
    "subject",
    "predicateType",
    "predicate"
  ],
  "properties": {
    "_type": {
      "type": "string",
      "const": "https://in-toto.io/Statement/v1"
    },
    "subject": {
      "type": "array",
      "minItems": 1,
      "maxItems": 1,
      "items": {
        "$ref": "#/$defs/subject"
      }
    },
    "predicateType": {
      "type": "string",
      "const": "https://model_signing/signature/v1.0"
    },
    "predicate": {
      "$ref": "https://model_signing/predicate/v1.0/schema"
    }
  },
  "additionalProperties": false,
  "$defs": {
    "subject": {
      "type": "object",
      "required": [
        "name",
        "digest"
      ],
      "properties": {
        "name": {
          "type": "string",
          "minLength": 1
        },
        "digest": {
          "$ref": "#/$defs/digest_set"
        }
      },
      "additionalProperties": true
    },
    "digest_set": {
      "type": "object",
      "minProperties": 1,
      "additionalProperties": {
        "type": "string",
        "pattern": "^[0-9a-f]+$"
      }
    }
  }
} as const;

export const PREDICATE_SCHEMA = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://model_signing/predicate/v1.0/schema",
  "type": "object",
  "required": [
    "resources",
    "serialization"
  ],
  "additionalProperties": false,
  "properties": {
    "resources": {
      "type": "array",
      "items": {
        "$ref": "#/$defs/resource_descriptor"
      }
    },
    "serialization": {
      "$ref": "#/$defs/serialization"
    }
  },
  "$defs": {
    "resource_descriptor": {
      "type": "object",
      "required": [
        "name",
        "digest",
        "algorithm"
      ],
      "properties": {
        "name": {
          "type": "string",
          "minLength": 1
        },
        "digest": {
          "type": "string",
          "pattern": "^[0-9a-f]+$"
        },
        "algorithm": {
          "type": "string",
          "enum": [
            "sha256",
            "blake2b",
            "blake3"
          ]
        }
      },
      "additionalProperties": true
    },
    "serialization": {
      "type": "object",
      "required": [
        "method",
        "hash_type",
        "allow_symlinks"
      ],
      "properties": {
        "method": {
          "type": "string",
          "enum": [
            "files",
            "shards"
          ]
        },
        "hash_type": {
          "type": "string",
          "enum": [
            "sha256",
            "blake2b",
            "blake3"
          ]
        },
        "shard_size": {
          "type": "integer",
          "exclusiveMinimum": 0
        },
        "allow_symlinks": {
          "type": "boolean"
        },
        "ignore_paths": {
          "type": "array",
          "items": {
            "type": "string",
            "minLength": 1
          }
        }
      },
      "if": {
        "properties": {
          "method": {
            "const": "shards"
          }
        }
      },
      "then": {
        "required": [
          "method",
          "hash_type",
          "allow_symlinks",
          "shard_size"
        ]
      },
      "additionalProperties": false
    }
  }
} as const;
