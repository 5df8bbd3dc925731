/**
 * Request and response examples of the SDK routes and the main workspace routes, for the OpenAPI
 * document (keyed by "METHOD path" as the document writes paths). Taken from real answers of
 * this server; the lint test checks each against its schema.
 */
export const EXAMPLES: Record<string, { request?: unknown; response: unknown }> = {
  "POST /api/v1/ocr/uploads/direct": {
    "request": {
      "file_name": "invoice.pdf",
      "file_size": 48213,
      "content_type": "application/pdf",
      "format": "markdown",
      "model": "standard-v2"
    },
    "response": {
      "job_id": "5f0c2f64-8f1e-4c6b-9a57-2f3d1b7e9a10",
      "upload_id": "0d9b6a51-7c1e-4a57-b3e2-6f4c2a8d9e01",
      "upload_type": "multipart",
      "chunk_size": 948,
      "total_chunks": 1,
      "expires_at": "2026-12-03T16:58:39.164Z",
      "complete_url": "/api/v1/ocr/uploads/5f0c2f64-8f1e-4c6b-9a57-2f3d1b7e9a10/complete",
      "parts": [
        {
          "part_number": 1,
          "start_byte": 0,
          "end_byte": 947,
          "upload_url": "https://ocr.example.com/api/v1/uploads/0d9b6a51-7c1e-4a57-b3e2-6f4c2a8d9e01/parts/1?expires=1796317119&signature=3f2a…"
        }
      ]
    }
  },
  "POST /api/v1/ocr/uploads/{job_id}/complete": {
    "request": {
      "parts": [
        {
          "part_number": 1,
          "etag": "9b2cf535f27731c974343645a3985328"
        }
      ]
    },
    "response": {
      "job_id": "5f0c2f64-8f1e-4c6b-9a57-2f3d1b7e9a10",
      "status": "pending",
      "message": "Upload completed successfully, processing started",
      "created_at": "2026-12-03T15:58:39.164Z"
    }
  },
  "POST /api/v1/ocr/uploads/url": {
    "request": {
      "url": "https://files.example.com/invoice.pdf",
      "format": "structured",
      "model": "pro-v2",
      "instructions": "Extract the invoice number and total"
    },
    "response": {
      "job_id": "5f0c2f64-8f1e-4c6b-9a57-2f3d1b7e9a10",
      "status": "pending",
      "source_url": "https://files.example.com/invoice.pdf",
      "created_at": "2026-12-03T15:58:39.164Z"
    }
  },
  "GET /api/v1/ocr/status/{job_id}": {
    "response": {
      "id": "5f0c2f64-8f1e-4c6b-9a57-2f3d1b7e9a10",
      "status": "completed",
      "file_name": "invoice.png",
      "result_format": "markdown",
      "model": "standard-v2",
      "processed_pages": 1,
      "total_pages": 1,
      "progress": 100,
      "processing_time": 2,
      "created_at": "2026-12-03T15:58:39.164Z",
      "updated_at": "2026-12-03T15:58:40.950Z",
      "completed_at": "2026-12-03T15:58:40.950Z"
    }
  },
  "GET /api/v1/ocr/result/{job_id}": {
    "response": {
      "job_id": "5f0c2f64-8f1e-4c6b-9a57-2f3d1b7e9a10",
      "status": "completed",
      "file_name": "invoice.png",
      "model": "standard-v2",
      "result_format": "markdown",
      "credits_used": 1,
      "total_pages": 1,
      "processed_pages": 1,
      "completed_at": "2026-12-03T15:58:40.950Z",
      "pages": [
        {
          "id": "page_29fec0828d2748b0bd8f5963de96f8e2",
          "page_number": 1,
          "status": "completed",
          "result": "# Invoice 2041\n\n| Item | Amount |\n| --- | --- |\n| Service | 120.00 EUR |",
          "confidence": 0.94,
          "has_bounding_boxes": false,
          "dimensions": {
            "width": 240,
            "height": 320
          }
        }
      ],
      "pagination": {
        "page": 1,
        "limit": 100,
        "total": 1,
        "total_pages": 1
      }
    }
  },
  "DELETE /api/v1/ocr/delete/{job_id}": {
    "response": {
      "job_id": "5f0c2f64-8f1e-4c6b-9a57-2f3d1b7e9a10",
      "deleted": true,
      "message": "Job and all its data deleted."
    }
  },
  "GET /api/v1/ocr/models": {
    "response": {
      "count": 3,
      "models": [
        {
          "name": "standard-v2",
          "display_name": "Standard v2",
          "description": "LeapOCR's standard model name. Runs on the embedded offline engine (PDF text layer, OCR for scanned pages).",
          "credits_per_page": 1,
          "priority": 1,
          "surcharge_per_page": 0,
          "supports_structured": false,
          "aliases": [
            "standard-v1"
          ],
          "routes": [
            {
              "name": "offline",
              "provider": "offline"
            }
          ],
          "steps": {
            "ocr": [
              "offline"
            ],
            "refine": [],
            "bounding_boxes": [],
            "structured": []
          }
        },
        {
          "name": "pro-v2",
          "display_name": "Pro v2",
          "description": "LeapOCR's pro model name. Runs on the embedded offline engine (PDF text layer, OCR for scanned pages).",
          "credits_per_page": 3,
          "priority": 2,
          "surcharge_per_page": 2,
          "supports_structured": false,
          "aliases": [
            "english-pro-v1",
            "pro-v1"
          ],
          "routes": [
            {
              "name": "offline",
              "provider": "offline"
            }
          ],
          "steps": {
            "ocr": [
              "offline"
            ],
            "refine": [],
            "bounding_boxes": [],
            "structured": []
          }
        },
        {
          "name": "offline",
          "display_name": "Offline engine",
          "description": "Runs on the embedded offline engine (PDF text layer, OCR for scanned pages). Needs no model key and no network.",
          "credits_per_page": 1,
          "priority": 0,
          "surcharge_per_page": 0,
          "supports_structured": false,
          "aliases": [],
          "routes": [
            {
              "name": "offline",
              "provider": "offline"
            }
          ],
          "steps": {
            "ocr": [
              "offline"
            ],
            "refine": [],
            "bounding_boxes": [],
            "structured": []
          }
        }
      ]
    }
  },
  "GET /api/v1/health": {
    "response": {
      "status": "ok",
      "version": "0.1.0"
    }
  },
  "GET /api/v1/organizations/{organization_id}/teams/{team_id}/jobs": {
    "response": {
      "data": [
        {
          "id": "5f0c2f64-8f1e-4c6b-9a57-2f3d1b7e9a10",
          "file_name": "invoice.png",
          "status": "completed",
          "stage": "done",
          "category": "png",
          "model": "standard-v2",
          "result_format": "markdown",
          "template_internal": false,
          "total_pages": 1,
          "processed_pages": 1,
          "failed_pages": 0,
          "credits_used": 1,
          "base_credits": 1,
          "surcharge_credits": 0,
          "confidence": 0,
          "processing_time": 2,
          "duration_seconds": 2,
          "created_at": "2026-12-03T15:58:39.164Z",
          "completed_at": "2026-12-03T15:58:40.950Z",
          "is_deleted": false
        }
      ],
      "has_more": false,
      "next_cursor": null,
      "total_count": 1,
      "total_pages": 1
    }
  },
  "GET /api/v1/organizations/{organization_id}/teams/{team_id}/jobs/{job_id}": {
    "response": {
      "id": "5f0c2f64-8f1e-4c6b-9a57-2f3d1b7e9a10",
      "file_name": "invoice.png",
      "status": "completed",
      "stage": "done",
      "category": "png",
      "model": "standard-v2",
      "result_format": "markdown",
      "template_internal": false,
      "total_pages": 1,
      "processed_pages": 1,
      "credits_used": 1,
      "base_credits": 1,
      "surcharge_credits": 0,
      "confidence": 0,
      "processing_time": 2,
      "duration_seconds": 2,
      "created_at": "2026-12-03T15:58:39.164Z",
      "completed_at": "2026-12-03T15:58:40.950Z",
      "is_deleted": false,
      "source": "direct",
      "size_bytes": 948,
      "failed_pages": 0,
      "attempts": 1,
      "workflow": {
        "stage": "done",
        "routes": [
          {
            "route": "offline:ocr",
            "pages": 1
          }
        ],
        "timings": {
          "created_at": "2026-12-03T15:58:39.164Z",
          "started_at": "2026-12-03T15:58:39.254Z",
          "completed_at": "2026-12-03T15:58:40.950Z",
          "queued_seconds": 0.1,
          "processing_seconds": 1.7
        },
        "pages": {
          "pending": 0,
          "processing": 0,
          "completed": 1,
          "failed": 0
        },
        "retryable": false,
        "source_available": true
      },
      "pages": [
        {
          "page_number": 1,
          "status": "completed",
          "attempts": 1,
          "route": "offline:ocr",
          "confidence": 0,
          "started_at": "2026-12-03T15:58:39.260Z",
          "completed_at": "2026-12-03T15:58:40.949Z",
          "duration_ms": 1689
        }
      ]
    }
  },
  "GET /api/v1/organizations/{organization_id}/teams/{team_id}/templates": {
    "response": {
      "data": [
        {
          "id": "8a17330c-babc-49f2-aed0-f889e3dbb280",
          "team_id": "team_7488bbc6b0d34026baf5495369a5da0f",
          "user_id": "usr_fc4f2cd509ef4a948886202f1eab244c",
          "name": "Invoices",
          "slug": "invoices",
          "format": "markdown",
          "model": "standard-v2",
          "instructions": "Keep tables",
          "extract_bounding_boxes": false,
          "tags": [],
          "favorite": false,
          "enabled": true,
          "ephemeral": false,
          "internal": false,
          "checksum": "c50b2e497d2ac2dd60f02ea6662799ed6301817d41ed0e4150dcec3671e26553",
          "usage_count": 0,
          "created_at": "2026-12-03T15:58:41.361Z",
          "updated_at": "2026-12-03T15:58:41.361Z"
        }
      ],
      "has_more": false,
      "next_cursor": null,
      "total_count": 1,
      "total_pages": 1
    }
  },
  "POST /api/v1/organizations/{organization_id}/teams/{team_id}/templates": {
    "request": {
      "name": "Invoices",
      "format": "markdown",
      "model": "standard-v2",
      "instructions": "Keep tables"
    },
    "response": {
      "id": "8a17330c-babc-49f2-aed0-f889e3dbb280",
      "team_id": "team_7488bbc6b0d34026baf5495369a5da0f",
      "user_id": "usr_fc4f2cd509ef4a948886202f1eab244c",
      "name": "Invoices",
      "slug": "invoices",
      "format": "markdown",
      "model": "standard-v2",
      "instructions": "Keep tables",
      "extract_bounding_boxes": false,
      "tags": [],
      "favorite": false,
      "enabled": true,
      "ephemeral": false,
      "internal": false,
      "checksum": "c50b2e497d2ac2dd60f02ea6662799ed6301817d41ed0e4150dcec3671e26553",
      "usage_count": 0,
      "created_at": "2026-12-03T15:58:41.361Z",
      "updated_at": "2026-12-03T15:58:41.361Z"
    }
  },
  "GET /api/v1/organizations/{organization_id}/teams/{team_id}/settings": {
    "response": {
      "team_id": "team_7488bbc6b0d34026baf5495369a5da0f",
      "config": {
        "auto_delete_enabled": true,
        "retention_period_days": 7
      },
      "description": "Uploaded files, page images and results are deleted 7 day(s) after processing ends.",
      "created_at": "2026-12-03T15:58:41.405Z",
      "updated_at": "2026-12-03T15:58:41.405Z"
    }
  },
  "PUT /api/v1/organizations/{organization_id}/teams/{team_id}/settings": {
    "request": {
      "auto_delete_enabled": true,
      "retention_period_days": 7
    },
    "response": {
      "team_id": "team_7488bbc6b0d34026baf5495369a5da0f",
      "config": {
        "auto_delete_enabled": true,
        "retention_period_days": 7
      },
      "description": "Uploaded files, page images and results are deleted 7 day(s) after processing ends.",
      "created_at": "2026-12-03T15:58:41.405Z",
      "updated_at": "2026-12-03T15:58:41.405Z"
    }
  },
  "GET /api/v1/organizations/{organization_id}/teams/{team_id}/credits/balance": {
    "response": {
      "team_id": "team_7488bbc6b0d34026baf5495369a5da0f",
      "credits_granted": 0,
      "credits_consumed": 1,
      "balance": -1,
      "credits_remaining": -1,
      "credit_limit": null,
      "unlimited": true
    }
  }
};
