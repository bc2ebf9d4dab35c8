# taskvisord.conf.sed — debian/rules applies this to the installed
# /etc/taskvisor/taskvisord.conf: the socket belongs to the group `taskvisor`
# that taskvisor.postinst creates, and that group is the admin role.
/^chmod = 0700$/,/^; admin_groups = taskvisor-admin$/c\
; Debian: members of the group taskvisor (adduser USER taskvisor) may use\
; taskvisorctl and change things; root always may.\
chmod = 0770\
chown = root:taskvisor\
admin_groups = taskvisor
