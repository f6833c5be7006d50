"""Member surveys: instruments, waves, the frame of members invited, and their responses.

The instrument itself (pages, questions, validation) is the pure core's
(``workforce.survey``); this app keeps what a wave needs in the database, sends the
invitations and gives staff the monitoring pages. Every write goes through
``workforce.platform.actions.surveys``.
"""
