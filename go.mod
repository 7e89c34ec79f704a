module webserv

go 1.26.8
