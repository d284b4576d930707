/*
 * hiredis_client.c -- a hiredis program talking to a server, for the
 * end-to-end tests: binary-safe SET/GET, a pipeline of 1000 commands,
 * an error reply, nil inside an array. Exits 0 and prints "hiredis: ok"
 * when every reply is what Redis gives.
 *
 *   hiredis_client HOST PORT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#define CHECK(cond, what)                                               \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "hiredis: %s\n", what);          \
			exit(1);                                         \
		}                                                        \
	} while (0)

int
main(int argc, char **argv)
{
	static const char value[] = "bin\0ary\r\nvalue";
	struct timeval tv = { 5, 0 };
	redisReply *r;

	CHECK(argc == 3, "usage: hiredis_client HOST PORT");
	redisContext *c = redisConnectWithTimeout(argv[1], atoi(argv[2]), tv);
	CHECK(c != NULL && c->err == 0, "cannot connect");

	r = redisCommand(c, "SET %s %b", "hiredis:bin", value,
			 sizeof(value) - 1);
	CHECK(r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK"),
	      "SET");
	freeReplyObject(r);
	r = redisCommand(c, "GET %s", "hiredis:bin");
	CHECK(r && r->type == REDIS_REPLY_STRING &&
	      r->len == sizeof(value) - 1 &&
	      !memcmp(r->str, value, r->len), "GET binary value");
	freeReplyObject(r);

	redisReply *d = redisCommand(c, "DEL %s", "hiredis:n");
	freeReplyObject(d);
	for (int i = 0; i < 1000; i++)
		redisAppendCommand(c, "INCR %s", "hiredis:n");
	for (int i = 0; i < 1000; i++) {
		CHECK(redisGetReply(c, (void **)&r) == REDIS_OK, "pipeline");
		CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == i + 1,
		      "INCR in a pipeline");
		freeReplyObject(r);
	}

	r = redisCommand(c, "LPUSH %s x", "hiredis:bin");
	CHECK(r && r->type == REDIS_REPLY_ERROR &&
	      !strncmp(r->str, "WRONGTYPE", 9), "WRONGTYPE error");
	freeReplyObject(r);

	r = redisCommand(c, "MGET %s %s", "hiredis:n", "hiredis:none");
	CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	      r->element[0]->type == REDIS_REPLY_STRING &&
	      !strcmp(r->element[0]->str, "1000") &&
	      r->element[1]->type == REDIS_REPLY_NIL, "MGET with a nil");
	freeReplyObject(r);

	redisFree(c);
	printf("hiredis: ok\n");
	return 0;
}
