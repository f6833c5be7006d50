"""Files partners send (membership exports), kept byte-for-byte with a checksum."""
