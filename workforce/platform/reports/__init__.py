"""Published benchmark reports: the files the reporting core wrote, kept byte for byte."""
