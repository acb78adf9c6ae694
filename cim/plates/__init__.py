"""Door plates without Django: plate codes, QR payloads, artwork and print sheets."""
