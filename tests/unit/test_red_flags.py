"""The raw-text rule layer: every CLINICAL.md red flag, phrased the way patients write."""

import re

import pytest
import yaml

from coach.config import get_settings
from coach.nlp.rules import allow_fillers, expand
from coach.triage.red_flags import detect_red_flags, load_rules
from tests.evaluation.patient_eval import THRESHOLDS

FLAGGED = [
    # reported speech about the writer, further on in the sentence, is the writer's
    ("the lady who served me at the till told me my words were slurred", "stroke"),
    ("my daughter texted that my last message was gibberish", "stroke"),
    # a comparison with the neighbour's illness is not the neighbour's finding
    ("mam pęcherze w uchu, wygląda to jak półpasiec u sąsiada", "other_cause"),
    ("my arm suddenly feels weak", "stroke"),
    ("I can't lift my left leg", "stroke"),
    ("my speech is slurred since this morning", "stroke"),
    ("my husband says I'm slurring", "stroke"),
    ("now the other side of my face is drooping too", "stroke"),
    ("my forehead is spared this time", "stroke"),
    ("my hand went numb", "stroke"),
    ("I think I'm having a stroke", "stroke"),
    ("I want to kill myself", "self_harm"),
    ("I've been thinking about suicide", "self_harm"),
    ("honestly I just want to end it all", "self_harm"),
    ("I don't want to live like this", "self_harm"),
    ("I've been cutting myself", "self_harm"),
    ("sometimes I think everyone would be better off dead without me", "self_harm"),
    ("I want to die", "self_harm"),
    ("my eye is really painful", "eye_at_risk"),
    ("my eye hurts a lot today", "eye_at_risk"),
    ("I have a red eye", "eye_at_risk"),
    ("my vision is blurry", "eye_at_risk"),
    ("blurred vision in my left eye", "eye_at_risk"),
    ("my eye can't close at all", "eye_at_risk"),
    ("there's something in my eye", "eye_at_risk"),
    ("my eye isn't red but it hurts", "eye_at_risk"),
    ("I have blisters in my ear", "other_cause"),
    ("there's a rash around my ear", "other_cause"),
    ("I've lost hearing on that side", "other_cause"),
    ("both sides of my face are weak now", "other_cause"),
    ("the palsy has come back", "other_cause"),
    ("My EYE Is Painful", "eye_at_risk"),
    ("I don\u2019t want to live anymore", "self_harm"),
    ("I can't raise my arm since lunch", "stroke"),
    ("painful eye since yesterday", "eye_at_risk"),
    ("there's grit in my eye that won't go", "eye_at_risk"),
    ("gritty eye all morning", "eye_at_risk"),
    ("I keep thinking about ending it all", "self_harm"),
    ("sometimes I think everyone would be better off without me", "self_harm"),
    ("honestly kms", "self_harm"),
]

# Phrasings beyond the first list: each is a different way patients put the same sign.
FLAGGED += [
    ("my arm feels like jelly and won't do anything", "stroke"),
    ("my right leg keeps giving out", "stroke"),
    ("I couldn't get my words out this morning", "stroke"),
    ("my mouth is drooping on the side that was fine before", "stroke"),
    ("it feels like my left side has switched off", "stroke"),
    ("I've gone weak down one side", "stroke"),
    ("my balance is completely off", "stroke"),
    ("words won't come out right", "stroke"),
    ("pins and needles all down my right side", "stroke"),
    ("my grip has gone in my right hand", "stroke"),
    ("my arm went numb for ten minutes but it's gone now", "stroke"),  # a TIA is still a stroke
    ("I think my wife is having a stroke", "stroke"),
    ("can't keep my eye shut at night", "eye_at_risk"),
    ("my eye has gone really red and weepy", "eye_at_risk"),
    ("my eye is red but the drops haven't fixed it", "eye_at_risk"),
    ("I've got a rash on my ear", "other_cause"),
    ("I'm losing my hearing", "other_cause"),
    ("sometimes I wish I wasn't alive", "self_harm"),
    ("I'd be better off not being here", "self_harm"),
    ("I don't see a reason to keep going", "self_harm"),
    ("I want to go to sleep forever", "self_harm"),
    ("I think about death a lot", "self_harm"),
    ("I dont want to live", "self_harm"),
    ("I can't do this anymore", "self_harm"),
]

# Families found missing on a fresh, independently written set (each phrased here anew):
# a finding that is itself a negation is not undone by "anymore"; sudden sight loss and double
# vision are stroke signs (BE FAST); aphasia as one word for another or nonsense; sudden
# confusion; eye pain on blinking; indirect self-harm (means, farewells, not being around).
FLAGGED += [
    ("my eye won't close anymore", "eye_at_risk"),
    ("I can't lift my arm anymore", "stroke"),
    ("i cant hear out of my left ear anymore", "other_cause"),
    ("seeing two of everything since this morning", "stroke"),
    ("my sight went black for a minute in my right eye", "stroke"),
    ("I keep calling the remote the kettle when I mean remote", "stroke"),
    ("my husband says I was talking gibberish at breakfast", "stroke"),
    ("all of a sudden I felt really confused", "stroke"),
    ("something blew into my eye and I can't get it out", "eye_at_risk"),
    ("it stings when I blink", "eye_at_risk"),
    ("my peepers are on fire", "eye_at_risk"),
    ("both of my eyes are drooping now", "other_cause"),
    ("I've been stockpiling my sleeping pills", "self_harm"),
    ("wnt b around much longer tbh", "self_harm"),
    ("I wish I could just stop existing", "self_harm"),
    ("I sat on the bridge for ages last night", "self_harm"),
    ("gave away all my things this week", "self_harm"),
    ("my family would be better off without me", "self_harm"),
    # carers writing about the patient: someone else's sign counts when it is happening now
    ("my mum keeps getting her words wrong since lunch", "stroke"),
    ("dad is slumping to one side in his chair right now", "stroke"),
    ("my husband's eye looks cloudy today and he can't read with it", "eye_at_risk"),
    ("she told me tonight she wants to die", "self_harm"),
    ("he can still lift both his eyebrows but his mouth has dropped since lunch", "stroke"),
    ("the words just weren't there when I tried to talk", "stroke"),
    ("the right side of my body feels weird", "stroke"),
    ("can't read the clock with my left eye anymore", "eye_at_risk"),
    ("my rite I is sore and sticky", "eye_at_risk"),
    ("the tablets are lined up on my bedside table", "self_harm"),
    ("I cut my wrist last night", "self_harm"),
    ("wish I could fall asleep and just never wake up", "self_harm"),
    ("cannae cope, been looking at the rope again", "self_harm"),
    ("my arm went funny out of nowhere and I dropped my tea", "stroke"),
    ("felt really muddled all of a sudden at work", "stroke"),
    ("headache hit me like a hammer on the back of my head", "stroke"),
    ("she couldn't tell me what day it was this afternoon", "stroke"),
    ("everything's doubled since lunch", "stroke"),
    ("like looking through frosted glass out of my left eye, and not from the gel", "eye_at_risk"),
    ("my ear sounds like someone turned the volume down", "other_cause"),
    ("I've stockpiled my painkillers", "self_harm"),
    ("they'd all be better off without me around", "self_harm"),
    ("my wife can't get her arm into her sleeve, it just flops, since tea", "stroke"),
    ("my right side was the good one. now that corner of my mouth is hanging", "stroke"),
    ("dad keeps asking me what time it is, over and over, since lunch", "stroke"),
    ("a dark curtain came down over my right eye", "stroke"),
    ("I'm done. I've made up my mind", "self_harm"),
    ("nobody would notice if I disappeared, thinking of making sure of it", "self_harm"),
    ("my wife is talking like she's had a few drinks and she's had none", "stroke"),
    ("the side that was fine has gone slack this afternoon", "stroke"),
    ("feels like there's sand in it, my bad eye, and it's getting worse", "eye_at_risk"),
    ("I googled how high the multistorey is", "self_harm"),
    ("I keep thinking about taking the whole box at once", "self_harm"),
    # filler words between a rule's words ("just", "honestly", "really" ...)
    ("my kids would be better off if i honestly just wasn't here", "self_harm"),
    ("I really really don't want to be here", "self_harm"),
    # not waking up, in any frame; rather be gone; tired of life; how I'd do it; a plan
    ("some nights I pray I'll go to sleep and not wake up", "self_harm"),
    ("it'd be easier all round if I didn't wake up one morning", "self_harm"),
    ("honestly i'd sooner be in the ground than face people like this", "self_harm"),
    ("he says he's tired of life now", "self_harm"),
    ("I've even planned how I would do it", "self_harm"),
    ("Thanks for the tips. I have a plan.", "self_harm"),
    ("she keeps telling us she's only a burden", "self_harm"),
    ("dad has put all his passwords in an envelope for me", "self_harm"),
    ("we found a letter under his pillow saying sorry for everything", "self_harm"),
    # speech coming out wrong in everyday words; a word that will not come
    ("my sentences were coming out garbled on the phone earlier", "stroke"),
    ("my son says I was talking gibberish at dinner", "stroke"),
    ("I couldn't for the life of me remember the word for spoon", "stroke"),
    ("she's confused about what year it is", "stroke"),
    # the palsy on one side, a new droop on the other
    ("my palsy is on the right, but now the left corner of my mouth is hanging", "stroke"),
    ("his eyebrows both lift fine but his mouth dropped suddenly an hour ago", "stroke"),
    # "it" for an eye named in the sentence
    ("a bit of dust got in my eye at the bus stop and now it's stuck in there", "eye_at_risk"),
    ("my daughter's bad eye got poked and it's turned really bloodshot", "eye_at_risk"),
    # the palsy had gone and has come back; both sides
    (
        "had Bell's as a teenager and recovered, this week my lip is drooping on that side",
        "other_cause",
    ),
    ("my face was nearly back and now it's gone backwards to square one", "other_cause"),
    ("neither side of my face moves when I try to grin", "other_cause"),
    # other languages: third person, not waking up
    ("mi madre no puede mover el brazo izquierdo", "stroke"),
    ("Je voudrais dormir et ne plus me réveiller", "self_harm"),
    ("Ich möchte einfach nicht mehr aufwachen", "self_harm"),
    # understatement: the veiled ways of saying it
    ("sat with the blade for ages last night, didn't do anything", "self_harm"),
    ("honestly the lads at work would manage fine without me", "self_harm"),
    ("reckon it's time to call time on the whole thing", "self_harm"),
    ("if it stays like this forever, I've got a plan", "self_harm"),
    ("I've been hiding my tablets away instead of taking them", "self_harm"),
    ("she says she's ready to go and be with my late dad", "self_harm"),
    ("thought about driving off the harbour wall on the way home", "self_harm"),
    ("the missus reckons I sounded a bit sloshed on the phone, I've not touched a drop", "stroke"),
    ("couldn't write my own name on the form at the post office", "stroke"),
    ("I can't see anything on the right side since I stood up", "stroke"),
    ("my arm's gone to sleep and it won't wake up, an hour now", "stroke"),
    ("the kitchen tipped sideways and I had to hold onto the worktop", "stroke"),
    ("got some paint flicked in the eye that won't close, it's stinging", "eye_at_risk"),
    ("the telly sounds like it's coming through a duvet on my left", "other_cause"),
    ("both my brows, I can't raise either of them now", "other_cause"),
    # dialect and dropped g's; mixed languages
    ("ma words are aw comin oot wrang the noo", "stroke"),
    ("been thinkin of endin it", "self_harm"),
    ("mi waan sleep an nuh wake up", "self_harm"),
    ("tengo ampollas in my ear and it burns", "other_cause"),
    ("mere papa ka haath kaam nahi kar raha since lunch", "stroke"),
    ("sach mein jeene ka mann nahi karta", "self_harm"),
    # timelines and jargon; English as a second language
    ("contralateral facial droop since this morning, BP 190/110", "stroke"),
    (
        "the left corner of my mouth is sagging now, and it was the right that had the Bell's",
        "stroke",
    ),
    ("I can't close my left eye at all since the weekend", "eye_at_risk"),
    ("The nurse said keep the eye taped. Today it's crusty and it hurts", "eye_at_risk"),
    ("I have been saving up my tramadol in a drawer", "self_harm"),
    ("no reason to live with this face, I am thinking to finish my life", "self_harm"),
    ("my brother pulled me off the ledge on Friday", "self_harm"),
    ("my husband said he wishes he had died in the accident instead", "self_harm"),
    ("my left ear hear nothing since Sunday", "other_cause"),
    ("the right cheek is flat now as well, the left was the palsy side", "other_cause"),
    # a question about one's own body, or about now, is a report
    ("is it normal that my leg has felt like lead since breakfast?", "stroke"),
    ("what does it mean when your speech goes slurry? mine started an hour ago", "stroke"),
    ("should I worry that my bad eye has gone cloudy?", "eye_at_risk"),
    ("is it normal for hearing to go muffled? I can't hear the telly on that side", "other_cause"),
    # very short replies
    ("mum cant get her words out rn", "stroke"),
    ("bit of grit in my bad eye", "eye_at_risk"),
    ("dont wanna be here anymore", "self_harm"),
    ("new droop today, eyebrows still lift fine", "stroke"),
    ("I keep slapping myself when I see the photos", "self_harm"),
    ("I sat near the edge of the cliff path for an hour", "self_harm"),
    # numbered answers: a "no" in one answer does not negate the next
    ("1) 5/10 2) no pain 3) yes 4) my arm has gone weak since lunch", "stroke"),
    ("a) fine b) no c) there are blisters inside my ear", "other_cause"),
    # voice typing's homophones
    ("i cant here a thing out of my right ear", "other_cause"),
    ("the lied won't close at all today", "eye_at_risk"),
    ("my arm feels so week since this morning", "stroke"),
    # children and parents
    ("she says she'd rather die than go to school", "self_harm"),
    ("we noticed scratches all over my son's arms, he hides them", "self_harm"),
    ("he said he wants to go to heaven so nobody laughs at him", "self_harm"),
    ("gave away my games, won't need them where I'm going", "self_harm"),
    ("mon fils a très mal à l'œil depuis ce matin et il voit flou", "eye_at_risk"),
    # a carer's question about what is happening now; a carer's report with a cause given
    ("is it normal that my dad can't lift his arm since lunch?", "stroke"),
    ("my wife's arm went weak after the gym an hour ago and she can't lift it", "stroke"),
    # describing what happened rather than naming the sign
    ("went to ask for the salt and 'the cushion' came out", "stroke"),
    ("my hand just went, the teapot ended up on the floor", "stroke"),
    ("she keeps pointing at stuff rather than asking for it", "stroke"),
    ("the spoon keeps slipping out of my right hand since tea", "stroke"),
    ("my signature went all wobbly halfway through the form", "stroke"),
    ("I keep bumping into the door frame on my left today", "stroke"),
    ("my leg wouldn't move when I told it to on the stairs", "stroke"),
    ("the kitchen floor keeps tilting and I can't stand without holding on", "stroke"),
    ("his arm feels like it's filled with concrete", "stroke"),
    ("the right half of the page just isn't there when I read", "stroke"),
    ("I can't get my left eyelid to close tonight", "eye_at_risk"),
    ("my eye is having trouble shutting since this morning", "eye_at_risk"),
    ("I see a lot less with my weak eye than I did last week", "eye_at_risk"),
    ("the newspaper keeps swimming about in front of my bad eye", "eye_at_risk"),
    ("my vision is still blurry even after the ointment has worn off", "eye_at_risk"),
    ("both of my eyelids are struggling to close today", "other_cause"),
    ("the droop is just like the first time I had Bell's", "other_cause"),
    ("the video shows the good side isn't moving, and it's not mirrored", "other_cause"),
    ("on today's recording my right side is flat, but my palsy was on the left", "other_cause"),
    ("voices on the phone sound like they're coming from behind a door", "other_cause"),
    ("neither side of my mouth will pucker now", "other_cause"),
    ("my 'good' side is floppy as well", "other_cause"),
    ("I pinched my bad cheek until it bruised", "self_harm"),
    ("I hit my face because I hate what I see", "self_harm"),
    ("if nothing changes I'm not hanging around", "self_harm"),
    ("my family would have it easier if I was gone", "self_harm"),
    ("he told me he has an exit plan if it never improves", "self_harm"),
    ("I sat on the roof for ages last night looking down", "self_harm"),
    ("I don't really want to stick around for another year of this", "self_harm"),
    # second-language and older adults' English; a limb that will not lift or grip
    ("his right leg will not take his weight since this morning", "stroke"),
    ("my hand is without force, I cannot hold the cup", "stroke"),
    ("she talks like her mouth is full of marbles since the nap", "stroke"),
    ("the lag on my left is heavy and I can't put wait on it", "stroke"),
    ("I am not hearing from my left ear since Sunday", "other_cause"),
    ("I do not hear so good on that side now", "other_cause"),
    ("lost half of the hearing in my right ear", "other_cause"),
    ("the Bell's that went away in spring has come back this week", "other_cause"),
    ("the tape slipped in the night and now it is pink and it burns, my eye", "eye_at_risk"),
    ("I have been counting my tablets every night", "self_harm"),
    ("if the smile never comes back I'm checking out", "self_harm"),
    ("I slap my face when I look in the mirror", "self_harm"),
    ("I no longer wish to go on living like this", "self_harm"),
    ("she said she would swallow all of her sleeping pills", "self_harm"),
    ("stood on the bridge and thought, one jump and no more of this face", "self_harm"),
    ("he sat in the car in the garage with the engine running", "self_harm"),
    # described in passing: a smudge in the sight, the FAST arm test, like week one again
    ("there's a grey patch in my vision on the bad side since I woke", "eye_at_risk"),
    ("in today's video the sag is on my good side, not the palsy one", "other_cause"),
    ("did the arms-out test from the advert and the left one sinks down", "stroke"),
    ("mouth drooping like week one again and I was nearly better", "other_cause"),
    ("my cheek feels heavy again this week", "other_cause"),
    ("hearing's gone faint on the right since Friday", "other_cause"),
    ("some days I think about walking in front of a train", "self_harm"),
    ("if it's still like this at Christmas I'm done", "self_harm"),
    ("if it doesn't get better I'm not hanging around for it", "self_harm"),
    # a carer writing about the patient, in the present tense
    ("my husbands eye isn't shutting at all anymore", "eye_at_risk"),
    # questions with the background first; diaries with a week number
    ("diagnosed with Bell's two days ago, brows lift normally, only my mouth droops", "stroke"),
    ("Week 1. The doctor said you can still raise your eyebrows, that's odd", "stroke"),
    ("I think this might be Ramsay Hunt rather than Bell's", "other_cause"),
    ("Day 4: his right hand kept dropping the spoon at breakfast", "stroke"),
    ("my arm feels like it belongs to somebody else", "stroke"),
    ("couldn't get down the hall without holding the wall", "stroke"),
    ("I can't get my left lid down tonight", "eye_at_risk"),
    ("I can't make out the clock with my right eye now", "eye_at_risk"),
    ("palsy was on the left but now when she smiles the right side stays still too", "other_cause"),
    ("my sister spotted blisters behind my ear this morning", "other_cause"),
    ("woke with the same droopy feeling as in 2019, here we go again", "other_cause"),
    ("he's stopped taking his blood pressure tablets on purpose", "self_harm"),
    ("at least I wouldn't have to live with this face", "self_harm"),
    ("she says we'd all be better off without her", "self_harm"),
    ("I have a plan and you'll all be fine without me", "self_harm"),
    ("sat in the car in the garage and thought about not coming back in", "self_harm"),
    ("the kitchen floor seems to be sort of tilting and I had to sit down", "stroke"),
    ("third time in ten years my face has dropped, same side again", "other_cause"),
    ("a dark smudge across the vision in my weak eye since lunch", "eye_at_risk"),
    ("every day I pass the railway line and keep thinking about it", "self_harm"),
    ("it sounds like I'm underwater in my left ear since Monday", "other_cause"),
    ("my hearing aid isn't helping at all this week", "other_cause"),
    ("the app says my weak side is the right, but my palsy is on the left", "other_cause"),
    ("I don't plan on being around for much longer", "self_harm"),
    ("maybe I should step out of the picture for good", "self_harm"),
    ("I keep imagining myself jumping off the pier", "self_harm"),
    ("my hearing on the right went overnight", "other_cause"),
    ("hearing keeps cutting out on the palsy side", "other_cause"),
    ("I won't hang around for another decade of this", "self_harm"),
    ("got my sleeping pills put by in a drawer", "self_harm"),
    ("grandad is using words that don't exist", "stroke"),
    ("his palsy was on the right and his mouth is sagging down on the left since tea", "stroke"),
    ("this weakness is not on the side my palsy is", "stroke"),
    ("a lash is stuck in there and won't come out", "eye_at_risk"),
    ("grit in my eye, flushed it out twice and it still feels like sandpaper", "eye_at_risk"),
    ("the white of my left eye has gone bright red", "eye_at_risk"),
    ("in my selfie video the flat side turned out to be my healthy side", "other_cause"),
    ("the droopier side in the photo is the side that has always been fine", "other_cause"),
    ("since breakfast her arm is like a bag of cement", "stroke"),
    ("my hand doesn't feel attached to me anymore", "stroke"),
    ("it's as if someone pulled the plug on my right arm", "stroke"),
    ("my fingers won't answer me this morning", "stroke"),
    ("his foot just drags behind him now", "stroke"),
    ("I see two kettles instead of one", "stroke"),
    ("my tongue feels too big and I can't form the words", "stroke"),
    ("her speech is coming out like a tape on the wrong speed", "stroke"),
    ("her face was recovering on the left and now the right has dropped", "stroke"),
    ("the good side felt like a dentist's numbing jab an hour ago", "stroke"),
    ("the kitchen floor is rolling and I can't stand unless I grab the counter", "stroke"),
    ("his forehead still creases on both sides but his mouth fell at lunch", "stroke"),
    ("the socket feels like a hot poker is in it", "eye_at_risk"),
    ("a mist has come over part of what I see on the right", "eye_at_risk"),
    ("the top half of the newspaper is missing", "eye_at_risk"),
    ("my lid won't go right down since Tuesday", "eye_at_risk"),
    ("like peering through greasy glass out of my left eye", "eye_at_risk"),
    ("somebody's turned down the volume on my left ear to nothing", "other_cause"),
    ("voices in the pub sound like I'm under the swimming pool", "other_cause"),
    ("his ear's got a bubbly rash today", "other_cause"),
    ("I won't carry on like this with this face", "self_harm"),
    ("I'm going to finish things for good", "self_harm"),
    ("mum hid the knives away from me after she saw what I did to my wrist", "self_harm"),
    ("some days I want to switch myself off for good", "self_harm"),
    ("the motorway bridge would make it quick", "self_harm"),
    ("maybe better I am not alive", "self_harm"),
    ("they found my letters for afterwards", "self_harm"),
    ("the care worker said Mrs P asked how many of her painkillers would be enough", "self_harm"),
    ("he says there's no point to him any more", "self_harm"),
    ("she thinks the family would cope better without her", "self_harm"),
    ("he just wants it all to end", "self_harm"),
    ("I'd save everyone the hassle", "self_harm"),
    ("been eyeing up the viaduct on my walks", "self_harm"),
    ("had the razor out again. A few cuts, nothing deep.", "self_harm"),
    ("sometimes I think about wading into the river", "self_harm"),
    ("she's found new cuts on Sam's thighs", "self_harm"),
    ("I press my hand on the iron just to feel something.", "self_harm"),
    ("I've left a note in case I'm not here tomorrow", "self_harm"),
    ("he told me he'll finish himself off", "self_harm"),
    ("the word that came out wasn't a word", "stroke"),
    ("I meant to say put the kettle on and said put the cat on", "stroke"),
    ("I keep texting the wrong words this afternoon", "stroke"),
    ("my hand isn't doing what I tell it", "stroke"),
    ("his right leg has just clocked off", "stroke"),
    ("I sound like I've had a skinful of beers", "stroke"),
    ("her knees just buckled under her", "stroke"),
    ("my left side was mending well but the right side of my face has just sagged", "stroke"),
    ("the weakness is on his left, his bell's was the right", "stroke"),
    ("she can still raise her left eyebrow but her mouth fell this morning", "stroke"),
    ("everything's tilting and I can't walk straight", "stroke"),
    ("the words came out in the wrong order", "stroke"),
    ("both corners of my mouth hang now", "other_cause"),
    ("I can't lift either cheek", "other_cause"),
    ("the app reckons my weak side is now the other one", "other_cause"),
    ("the analysis says her weak side looks like her right, palsy on the left", "other_cause"),
    ("voices keep cutting out in my left ear", "other_cause"),
    ("third round of the droop, same as 2019", "other_cause"),
    ("my eyelid's stopped closing since the weekend", "eye_at_risk"),
    ("I try to say one thing and something different comes out", "stroke"),
    ("I can't get the proper words out since tea", "stroke"),
    ("her left arm is dangling at her side", "stroke"),
    ("his hand is floppy, he can't lift it", "stroke"),
    ("in the video the side that isn't moving is my left, my palsy is on my right", "other_cause"),
    ("my palsy was on the right, now my left cheek also is going down", "stroke"),
    ("her smile is crooked on the left now too", "stroke"),
    ("the bell palsy was left side but now the right corner fall down since tea", "stroke"),
    ("he still can raise both brows but his mouth dropped new this morning", "stroke"),
    ("since breakfast my words are running together", "stroke"),
    ("I cannot say my address clearly this afternoon", "stroke"),
    ("only broken words coming from her mouth", "stroke"),
    ("my right fingers keep missing the buttons since lunch", "stroke"),
    ("half the screen is just not there since I woke", "stroke"),
    ("mum went dizzy and is wobbly on her feet", "stroke"),
    ("cloudy since Sunday in my palsy eye", "eye_at_risk"),
    ("the white part of his eye became red today", "eye_at_risk"),
    ("an eyelash or something got in there and it stings", "eye_at_risk"),
    ("neither of my eyebrows will go up now", "other_cause"),
    ("I don't hear anything out of my left ear today", "other_cause"),
    ("had bell on the left, it go away in 2020, now it start again, lip drops", "other_cause"),
    ("the clip shows the weak side as my left but my palsy is right", "other_cause"),
    ("better I disappear, nobody wants this face", "self_harm"),
    ("sometimes I want to disappear for good", "self_harm"),
    ("what's the point of hanging around", "self_harm"),
    ("scratched my legs up again because I couldn't bear my reflection", "self_harm"),
    ("dad doesn't want to be here any more", "self_harm"),
    ("my arm is like asleep and won't wake up since tea", "stroke"),
    ("my wife hearing get worse in one ear, she turns the telly up loud", "other_cause"),
    ("my right harm is week since lunch", "stroke"),
    ("site in my bad eye went dim since brekfast", "eye_at_risk"),
    ("evry one would be better off with out me", "self_harm"),
    ("i want to disapear for good", "self_harm"),
    ("my face went back to drooping this week", "other_cause"),
    ("the right side is flopping again like last spring", "other_cause"),
    ("everything has gone muffled on my left since Friday", "other_cause"),
    ("the telly has to be on full now", "other_cause"),
    ("in the app the side that looks droopy is my good side", "other_cause"),
    ("she lost the left half of what she can see an hour ago", "stroke"),
    ("the kindest thing would be to not be here", "self_harm"),
    ("they'd be better off with my life insurance", "self_harm"),
    ("I looked up how to do it. Please don't tell my wife.", "self_harm"),
    ("I wrote them goodbye letters last night", "self_harm"),
    ("you ever think everyone would be better off if you weren't here?", "self_harm"),
    ("asking for a friend: what if someone's arm went numb an hour ago", "stroke"),
    ("if a person can't blink and the eye stings? it's been like that since Monday", "eye_at_risk"),
    ("what's the point of someone carrying on like this", "self_harm"),
    ("I can raise both brows fine but my mouth dropped overnight", "stroke"),
    ("droopy on the side that has always been fine, since tea", "stroke"),
    ("his fingers can't do up his shirt buttons, he's normally fine", "stroke"),
    ("my right hand feels miles away since I woke", "stroke"),
    ("my thumb keeps hitting the wrong letters", "stroke"),
    ("she dropped her spoon again and couldn't pick it up", "stroke"),
    ("since lunch my foot slaps down on the pavement", "stroke"),
    ("I can't make a fist with my left hand", "stroke"),
    ("I know what I want to say but it won't come", "stroke"),
    ("his words make no sense tonight", "stroke"),
    ("the letters on the page don't mean anything", "stroke"),
    ("I see two posts where there should be one", "stroke"),
    ("she doesn't see me when I sit on her left", "stroke"),
    ("water dribbles out of my good side now", "stroke"),
    ("the side that never had a problem is sagging tonight", "stroke"),
    ("his brows lift normally on both sides but his mouth drooped", "stroke"),
    ("mum didn't recognise her own house this evening", "stroke"),
    ("I had no idea where I was on my own street", "stroke"),
    ("dad is confused and staring into space", "stroke"),
    ("she didn't remember she'd just rung me", "stroke"),
    ("my leg wouldn't take the next step on the stairs", "stroke"),
    ("my left leg isn't listening to me since tea", "stroke"),
    ("my tongue feels clumsy since an hour ago", "stroke"),
    ("voices on my right have gone faint this week", "other_cause"),
    ("I'm not sticking around to find out", "self_harm"),
    ("I've sorted my will and written to the kids", "self_harm"),
    ("he says he's had his innings", "self_harm"),
    ("I'm disappointed I woke up again", "self_harm"),
    ("looking up which bridges have no railings", "self_harm"),
    ("I banged my head on the wall till it bruised", "self_harm"),
    ("no point in carrying on, I've made my peace.", "self_harm"),
    ("how long to bleed out", "self_harm"),
    ("wouldn't mind if the car crashed on the way home", "self_harm"),
    ("take all my tablets at once and sleep for good", "self_harm"),
    ("maybe better I go for good", "self_harm"),
    ("been burning my arm with a cigarette", "self_harm"),
    ("how much paracetamol would be enough", "self_harm"),
    ("ready to log off. From life.", "self_harm"),
    ("whatever happens tonight isn't your fault", "self_harm"),
    ("the rope is in the shed", "self_harm"),
    ("sometimes I want to steer into a tree", "self_harm"),
    ("I keep a blade in my wallet. Used it last night.", "self_harm"),
    ("I wrote a goodbye post and deleted it", "self_harm"),
    ("I don't expect to see another Christmas", "self_harm"),
    ("she's hoarding her tramadol", "self_harm"),
    ("they'd be happier if I wasn't around", "self_harm"),
    ("I stare at the kitchen knives thinking about my wrists", "self_harm"),
    ("thought about stopping, everything, for good", "self_harm"),
    ("soon I'll be out of everyone's hair", "self_harm"),
    ("I pinch and twist my cheek until it bruises", "self_harm"),
    ("I won't be needing the Monday slot any more", "self_harm"),
    # round of 2026-11-29 (evening): said plainly in other words, hurting oneself with
    # something, farewells kept secret, and warning signs that count together
    ("I'm ready to finish my life, everything is arranged", "self_harm"),
    ("I don't want continue my life with this face", "self_harm"),
    ("not sure I want to go on with any of it anymore", "self_harm"),
    ("too tired of fighting this face to keep going", "self_harm"),
    ("been scratching my cheek with a pin again", "self_harm"),
    ("I slap the numb side until it stings", "self_harm"),
    ("Dad doesn't know this was our last fishing trip", "self_harm"),
    ("my friend can have my bike when I'm gone", "self_harm"),
    ("I don't plan to see another Christmas", "self_harm"),
    ("Went to look at the old viaduct. It is high enough.", "self_harm"),
    (
        "Posted the last of my letters to the grandchildren. I've had enough of this face.",
        "self_harm",
    ),
    ("Checked how tall the car park by the station is. That's me done.", "self_harm"),
    (
        "found her sleeping tablets hidden in a sock, and she's given her jewellery to her sister",
        "self_harm",
    ),
    ("Mood 0. Rehomed the cat with my neighbour today.", "self_harm"),
    ("Paid off every bill, sorted who gets what. Ready to go.", "self_harm"),
    # words for other words, a request answered with the wrong thing, sudden muddle
    ("since this afternoon Gran's words come out as other words entirely", "stroke"),
    ("my text to work came through as nonsense and I don't remember typing it", "stroke"),
    ("asked Dad for the milk and he passed me the newspaper", "stroke"),
    ("Mum asked me what year it was four times in an hour", "stroke"),
    ("he can't work out where he parked, and he drives there daily", "stroke"),
    ("tonight Grandad seems really muddled", "stroke"),
    ("Dad suddenly can't understand us", "stroke"),
    ("she can't get a single sentence out this evening", "stroke"),
    # a limb that hangs, will not cooperate, feels gloved; half of what is seen; balance
    ("my left arm just hung there when I tried to wave", "stroke"),
    ("can't get my right hand to hold the pen", "stroke"),
    ("my hand isn't cooperating at all", "stroke"),
    ("right hand feels like I'm wearing a thick oven glove", "stroke"),
    ("the right half of every word on the screen is missing", "stroke"),
    ("the telly looks double since I sat down", "stroke"),
    (
        "Bell's on the right, and the left corner of his mouth didn't move either when he laughed",
        "stroke",
    ),
    ("the room tipped sideways and I had to crawl to the bathroom", "stroke"),
    ("been dragging my left foot since breakfast", "stroke"),
    ("my left leg sorry not the right the left leg keeps giving way", "stroke"),
    # eye: red with pain, light that hurts, something in it
    ("my eye is bloodshot and really sore tonight", "eye_at_risk"),
    ("the light is unbearable, I keep my bad eye covered", "eye_at_risk"),
    ("my eye feels like there's glass in it", "eye_at_risk"),
    # round two of 2026-11-29 (evening): gaming and net slang, plans and means named together
    ("thinking of unaliving tbh", "self_harm"),
    ("ready to log out of life for good", "self_harm"),
    ("one cut for each day my smile stays crooked", "self_harm"),
    ("there's a hose in the garage and the car starts fine", "self_harm"),
    ("my plan is the tablets in my bedside drawer", "self_harm"),
    ("the only thing keeping me here is my mum", "self_harm"),
    ("kinda want to yeet myself off the multi-storey", "self_harm"),
    ("I hope I die before the wedding photos", "self_harm"),
    ("been reading about painless ways to go", "self_harm"),
    ("he's stopped eating on purpose since the palsy", "self_harm"),
    (
        "She texted sorry for everything and to look after the dog, and she's not answering.",
        "self_harm",
    ),
    ("Cancelled my physio sessions. The decision's made and I feel calm now.", "self_harm"),
    ("Made a funeral playlist and said I want to be cremated with my guitar.", "self_harm"),
    ("the kids would be better off with their mum, honestly", "self_harm"),
    # stroke: routines going wrong, words of others, sight, a sudden head pain
    ("couldn't do up my coat buttons just now", "stroke"),
    ("since lunch the fingers on my left hand won't grip the cup", "stroke"),
    ("my right hand couldn't find the piano keys tonight", "stroke"),
    ("whatever we ask him he says the same word back", "stroke"),
    ("she keeps saying the, the, the and can't finish", "stroke"),
    ("my left foot keeps catching the stairs, it started an hour ago", "stroke"),
    ("my leg went all wobbly and I had to grab the banister", "stroke"),
    ("his right hand just stopped working mid-sentence", "stroke"),
    ("the right side of me feels a beat behind", "stroke"),
    ("dragging my leg behind me like a bin bag", "stroke"),
    ("she says the words are all wrong when she tries to talk", "stroke"),
    ("Dad doesn't understand a word we say, he was fine before his nap", "stroke"),
    ("her voice sounds like a foreign language to me", "stroke"),
    ("he just asked me four times who I am", "stroke"),
    ("two clocks, one on top of the other, since I sat down", "stroke"),
    ("every line in the book looks doubled", "stroke"),
    ("sudden explosive pain at the back of my head", "stroke"),
    ("his speech is all mushy this morning", "stroke"),
    ("she sounds like she's had a few drinks but she's teetotal", "stroke"),
    ("Mine was the left, and now my right cheek is numb", "stroke"),
    # round three of 2026-11-29 (evening): metaphors of leaving, clinical shorthand, older voices
    ("Obs: passive SI disclosed, no plan", "self_harm"),
    ("time to hand in my notice on this life", "self_harm"),
    ("I'd like to switch myself off and be done", "self_harm"),
    ("she's stopped her blood pressure tablets on purpose", "self_harm"),
    ("I might top myself if this face stays", "self_harm"),
    ("found his belt tied to the loft hatch", "self_harm"),
    ("wants to go to sleep and stay asleep", "self_harm"),
    ("the long rest is what I'm after now", "self_harm"),
    ("I'm not planning to see another winter", "self_harm"),
    ("been reading about the clinic in Switzerland for people like me", "self_harm"),
    ("took too many of my sleeping pills yesterday", "self_harm"),
    ("there won't be another check-in from me", "self_harm"),
    ("I press my nail into the numb cheek on purpose until it bleeds", "self_harm"),
    ("Eighty years is plenty. I'll go on my own terms.", "self_harm"),
    ("Look after Bonnie for me. They think I'm going on holiday.", "self_harm"),
    # stroke: second languages, images, the good side gone flat
    ("we cannot catch his words since the evening prayer", "stroke"),
    ("my uncle no fit talk since morning", "stroke"),
    ("her leg is like cotton and not holding her", "stroke"),
    ("my hand and foot do not listen to me today", "stroke"),
    ("since lunch she cannot say the names of her grandchildren", "stroke"),
    ("his tongue is very heavy tonight", "stroke"),
    ("I'm seeing a bit double", "stroke"),
    ("the words all run into each other, like a robot", "stroke"),
    ("the smile on my good side has gone flat", "stroke"),
    ("grandma's just gone vague, staring at the wall", "stroke"),
    ("a headache worse than any I've ever had", "stroke"),
    ("his texts make no sense tonight", "stroke"),
    ("can't find my worlds this morning", "stroke"),
    # eye: smeared, dim, a lid that hangs open, something under it
    ("everything looks smeared through my bad eye", "eye_at_risk"),
    ("with my good eye covered I can barely read the clock", "eye_at_risk"),
    ("the weak eye sees everything dimmer", "eye_at_risk"),
    ("the lid hangs open and I can't get it down", "eye_at_risk"),
    ("feels like grit under the lid since the wind", "eye_at_risk"),
    # other cause: hearing on one side, the palsy back, a red ear, the good side in a clip
    ("on the phone with my right ear I could barely hear him", "other_cause"),
    ("it's all quieter on the left side now", "other_cause"),
    ("my face has gone back to how it was at the start", "other_cause"),
    ("Bell's in 2018, recovered, now the droop is back again, same as before", "other_cause"),
    ("his ear has gone very red and swollen", "other_cause"),
    ("in the clip my good side is not moving, it is not mirrored", "other_cause"),
    # blisters that came up after the start
    (
        "the GP saw nothing at the start, then blisters have come up in my ear since Sunday",
        "other_cause",
    ),
    # round four of 2026-11-29 (night): self-injury with a thing, tablets weighed up, life as
    # something not worth keeping, loose ends tied by a young person
    ("she tried to hang herself in the garage last week", "self_harm"),
    ("I've been stubbing cigarettes out on my forearm", "self_harm"),
    ("used the broken glass on my thigh again", "self_harm"),
    ("I scratch my cheek until it bleeds because I hate it", "self_harm"),
    ("he downed two packets of paracetamol after tea", "self_harm"),
    ("I keep wondering if the sleeping pills in the drawer would be enough", "self_harm"),
    ("honestly I would rather just not exist", "self_harm"),
    ("not really a fan of staying alive lately", "self_harm"),
    ("the girl in the filter is the only me worth keeping alive", "self_harm"),
    ("wrote a list of reasons to live and reasons not to", "self_harm"),
    ("if I died tonight at least the check-ins would stop", "self_harm"),
    ("half my face is gone, maybe the rest of me should follow", "self_harm"),
    ("they'd all be happier if I wasn't in the picture", "self_harm"),
    ("my son says he has worked out how. that's all he'd say", "self_harm"),
    ("I'll sort everything out once and for all this weekend", "self_harm"),
    ("I keep standing by the knife drawer at night", "self_harm"),
    ("there are fresh cuts all along her wrists", "self_harm"),
    ("cancelled netflix and the gym, won't need them after friday", "self_harm"),
    ("a rope in his wardrobe and a note to his kids", "self_harm"),
    ("I won't be here after this term so it doesn't matter", "self_harm"),
    # stroke: the task that goes wrong, the wrong word, part of the view gone, the good side
    ("Mum keeps missing her mouth with the fork", "stroke"),
    ("he's trying to put his shoe on his hand", "stroke"),
    ("she asked for the talking box and pointed to the radio", "stroke"),
    ("just now I say door but I mean window", "stroke"),
    ("I can't get the words out right", "stroke"),
    ("grandad can't tell us what he needs", "stroke"),
    ("the letters in the paper look like squiggles", "stroke"),
    ("her words are coming in the wrong order", "stroke"),
    ("I've lost the left half of the tv picture", "stroke"),
    ("everything to my right is dark", "stroke"),
    ("he stood up and veered sideways into the wall", "stroke"),
    ("headache like a bomb went off inside my head", "stroke"),
    ("since she came in from the shops her good side isn't moving", "stroke"),
    ("her mouth has dropped since lunch but her forehead moves fine on both sides", "stroke"),
    ("my arm went and now it won't lift", "stroke"),
    ("whole left side gone num", "stroke"),
    ("the room went round and I could not stand up", "stroke"),
    ("the good side of his mouth has slipped", "stroke"),
    # eye: grit with every blink, a stone that is not there, halos, the white gone red
    ("it scrapes with every blink", "eye_at_risk"),
    ("there's a lash in my eye that isn't there", "eye_at_risk"),
    ("feels like a little stone in my eye", "eye_at_risk"),
    ("I can't keep my eye open in the sunlight", "eye_at_risk"),
    ("rainbows around the headlights with my weak eye", "eye_at_risk"),
    ("I can only partly see out of it today", "eye_at_risk"),
    ("the white of my eye has gone bright red", "eye_at_risk"),
    # other cause: dizziness with a noisy ear, the palsy slipping back, a new lump
    ("dizzy on and off with a buzzing in the left ear", "other_cause"),
    ("feels like the volume has been turned down in my left ear", "other_cause"),
    ("my smile was almost back and now the side is slipping back", "other_cause"),
    ("he can't raise his eyebrows on either side now", "other_cause"),
    ("there's a lump by my ear that's getting bigger", "other_cause"),
    # round five of 2026-11-29 (night): the car, the beam, the policy asked about, God asked
    ("sat at the cliff top thinking about not braking", "self_harm"),
    ("asked the insurers if the policy pays out if it wasn't an accident", "self_harm"),
    ("spent the evening driving round looking at bridges", "self_harm"),
    ("a bottle of wine and a handful of my dad's tablets", "self_harm"),
    ("there's a noose hanging from the loft hatch", "self_harm"),
    ("he's got a hosepipe and tape in the car boot", "self_harm"),
    ("if a bus hit me on the way home I wouldn't mind", "self_harm"),
    ("every night I ask God to take me home", "self_harm"),
    ("might book a one-way ticket to Switzerland", "self_harm"),
    ("gonna end it. not the face, me.", "self_harm"),
    ("can't face another day of this", "self_harm"),
    ("want to go to sleep and never wake", "self_harm"),
    ("I found a letter in his coat addressed to the kids", "self_harm"),
    ("she's been googling painless ways to die", "self_harm"),
    ("keep getting the rifle out and staring at it", "self_harm"),
    ("what's the quickest way to stop feeling anything", "self_harm"),
    ("off to the lake alone, not planning on coming back", "self_harm"),
    ("Checked the life cover. The family will be alright.", "self_harm"),
    ("tell Jo I'm sorry when she reads this, that was my last check-in", "self_harm"),
    (
        "Returned the library books and paid the milkman up to date. Got everything in order.",
        "self_harm",
    ),
    # stroke: the other side named by its side, hand and face together, keys missed, words lost
    ("his palsy is on the left but now the right side of his mouth is hanging", "stroke"),
    ("my bells is on the right. numbness around my mouth on the left", "stroke"),
    ("my hand and the corner of my mouth both went numb", "stroke"),
    ("my fingers keep landing on the wrong keys all of a sudden", "stroke"),
    ("lost my words in the middle of the meeting", "stroke"),
    ("my last message was gibberish and I didn't notice", "stroke"),
    ("the words in my book stopped making sense", "stroke"),
    ("pointed at the cup and couldn't say cup", "stroke"),
    ("I couldn't get the spoon to my mouth", "stroke"),
    ("half of what I'm seeing has gone dark", "stroke"),
    ("seeing two of everything on the road", "stroke"),
    ("since lunch my walking feels all wobbly", "stroke"),
    ("my right thumb won't work the phone", "stroke"),
    ("the side without the palsy has no feeling", "stroke"),
    ("his foot won't do as it's told", "stroke"),
    # eye, other cause: misty that does not clear; the palsy back
    ("my eye is all cloudy and it won't clear with blinking", "eye_at_risk"),
    ("face went again this morning, same side as last time", "other_cause"),
    # round six of 2026-11-29 (night): after an attempt, purging, the date, faith, ambivalence
    ("home from hospital, they had to pump my stomach", "self_harm"),
    ("part of me wants to disappear and part of me doesn't", "self_harm"),
    ("I'm just done with existing", "self_harm"),
    ("I've been making myself sick after every meal", "self_harm"),
    ("I don't deserve to eat with a face like this", "self_harm"),
    ("the baby would be better off raised by someone else", "self_harm"),
    ("honestly I'd rather not have survived the operation", "self_harm"),
    ("she asked how many of her sertraline it would take", "self_harm"),
    ("sitting here holding a handful of tablets", "self_harm"),
    ("Dad keeps saying he wants to go to heaven now", "self_harm"),
    ("I'm not going to do anything stupid. Probably.", "self_harm"),
    ("I stopped the blood pressure tablets on purpose", "self_harm"),
    ("I've got a stash of painkillers in a bag, just so someone knows", "self_harm"),
    ("4am thoughts again. Sorry for everything", "self_harm"),
    # stroke: a limb not used, confusion, everything twice, the room turning
    ("since tea she isn't using her left hand at all", "stroke"),
    ("just now he didn't recognise his own daughter", "stroke"),
    ("suddenly there are two clocks on the wall", "stroke"),
    ("the room won't stop turning and I can't get my legs under me", "stroke"),
    ("the good side of my face is tingling", "stroke"),
    ("what she says back doesn't make sense, it started an hour ago", "stroke"),
    ("my text came out as nonsense letters. I typed what I meant", "stroke"),
    # eye and other cause: an ache behind it, a haze, halos, the ear discharging, a blocked ear
    ("my eye is gluey and there's an ache behind it", "eye_at_risk"),
    ("a grey haze across my left eye since lunch", "eye_at_risk"),
    ("the streetlights have halos tonight", "eye_at_risk"),
    ("her ear has been leaking pus and now her smile is lopsided", "other_cause"),
    ("my ear feels blocked and voices from that side are faint", "other_cause"),
    ("blisters on the roof of my mouth and my face has dropped", "other_cause"),
    # round seven of 2026-11-29 (night): young men, soldiers, banter; the job finished for me
    ("this face makes me want to finish myself off", "self_harm"),
    ("keep picking fights hoping someone finishes the job for me", "self_harm"),
    ("I've got the kit to do it now", "self_harm"),
    ("don't think I'll see my birthday and I'm fine with that", "self_harm"),
    ("the world won't miss one more ugly bloke", "self_harm"),
    ("wonder how long it would take the neighbours to find me", "self_harm"),
    ("hit the door until my knuckles bled", "self_harm"),
    ("me, a bottle of vodka and all my tablets tonight", "self_harm"),
    ("rode home with no helmet hoping I'd crash", "self_harm"),
    ("lost my will to live with this face", "self_harm"),
    ("Sold the car. Settled up with the lads. All sorted for when I go.", "self_harm"),
    ("mood 0, been looking at the kitchen knives", "self_harm"),
    # stroke: the other side said plainly, a screen cut in half, words stuck inside
    ("right arm 😵 can't lift", "stroke"),
    ("her face has dropped on the other side now", "stroke"),
    ("the left half of the screen just isn't there", "stroke"),
    ("the words are in my head but they won't come", "stroke"),
    ("my hand didn't go where I sent it", "stroke"),
    ("suddenly two faces in the mirror", "stroke"),
    ("lost the use of my right hand since tea", "stroke"),
    ("like a curtain came down over half my view", "stroke"),
    ("the side that was fine is the one drooping now", "stroke"),
    ("Mum's text was all wrong, she never texts like that", "stroke"),
    ("headache hit all at once like a thunderclap", "stroke"),
    ("the numbness has gone down into my arm", "stroke"),
]

NOT_FLAGGED = [
    "my friend said her arm went numb when she slept on it last year",
    "my neighbour who has MS said her legs feel weak in the heat",
    "mój sąsiad ma pęcherze w uchu",
    "I can't stand the tape at night",
    "the eye drops sting",
    "I'm dying to see my smile again",
    "no pain, no redness, no change in vision",
    "I don't have slurred speech or weakness",
    "I worry about having a stroke one day",
    "my droopy side is getting stronger",
    "I'm not dizzy and my vision is fine",
    "I have been stroking my face gently",
    "the left side of my face still droops a bit",
    "the ointment makes my vision blurry for an hour",
    "no eye pain today",
    "my eye doesn't close when I smile anymore",
    "my eye isn't red",
    "my face feels tight when I smile",
    "I did two sessions with the mirror",
    "no rash and no blisters",
    "feeling good today, 8 out of 10",
    "my left eye narrows when I eat",
    "",
    "I won't be around tomorrow for the check-in",
    "i won't be here next week, on holiday",
    "what does double vision mean?",
    "is bell's palsy the same thing as a stroke?",
    "I thought it was a stroke when it started, it wasn't",
    "I was cutting bread with a knife",
    "stopped existing on social media for a while lol",
    "sorted my stuff out for the move, thanks for everything!",
    # someone else's past illness; a test that ruled a stroke out; a leaflet's list
    "my uncle's speech was slurred after his stroke years back",
    "my friend's arm went weak before her stroke so I know the signs",
    "they did a scan to rule out a stroke, all clear",
    "the leaflet says rash near the ear is a warning sign",
    "I was dead on my feet after the wedding",
    "back in March my eye was red but it's all healed now",
    "is it true the palsy can come back?",
    "my eye wouldn't close the first fortnight, should I still be taping?",
    "I can't see the point of the taping, does it help?",
    "my legs felt wobbly after the gym this morning",
    "can you catch Ramsay Hunt off someone with shingles?",
    "red eye? no. pain? nope. vision fine",
    "vision's blurry after the bedtime gel but clears by the morning",
    "I can't see the point of the 7pm reminder, can we move it?",
    "my eye streams when I eat, had a sandwich and kept dabbing it",
    "my aunt had shingles and her ear was covered in blisters back then",
    # look-alikes of the families above
    "I didn't wake up in time for the 8am reminder",
    "I'd rather be gone by six so I miss the traffic",
    "I figured out how to do it properly in the mirror today",
    "I have a plan for my exercises this week: five minutes twice a day",
    "I can't find the right words to thank you enough",
    "I'm not confused about what to do, thanks",
    "my eyebrows both lift fine now and the mouth droop is improving",
    "could that give me Ramsay Hunt, my husband's shingles?",
    "my words were slurred for the first few weeks but they're clear now",
    "my foot's gone to sleep under the desk",
    "the kids would be fine without me for one night at my sister's",
    "I cry in the shower where the kids can't hear",
    "I've got a plan for my exercises if the tightness stays like this",
    "my mum is coming to stay, I'm ready to go pick her up",
    "the dilating drops at the eye test made everything blurry for a while",
    "my MS tingling in the left foot is the same as always",
    "I get cold sores on my lip, nowhere near my ear",
    "talking normally now, just the smile coming back slowly",
    # a question about a sign, with nothing of the person's own: still a question
    "is it normal to get eye pain with Bell's?",
    "what does double vision mean exactly?",
    "how would I know if my hearing was going?",
    "can I wear contact lenses while my eye isn't closing?",
    "it would be easier to do the exercises in the evening, can we change the time?",
    "my eye - no pain at all, just the usual watering",
    "it is week 6 and my arm is fine",
    "14 weeks since the Ramsay Hunt and the smile is coming back",
    "I'm not sticking around for the second half of the film",
    "I couldn't hear myself think in that cafe",
    "the good side doesn't move much when I do the holds, as my therapist showed me",
    "my eye stays wide open with my smile now, no narrowing",
    "I called the surgery the next morning",
    "since my Ramsay Hunt I've been doing the exercises daily",
    "we found a way out of the maze at the fair",
    "had a bit of twitching in my eyelid after the long drive",
    "things were blurry for a moment after the drops but cleared as soon as I blinked",
    "filmed the clip and the wrong side looked weak, then realised the mirror flips it",
    # look-alikes: a test result, somewhere else, someone else, an everyday cause, progress
    "no hearing changes this week, all good",
    "cold sore on my lip again, nothing near my ear",
    "I can't see much without my glasses on, the eye itself is fine",
    "the weakness is maybe 70 percent back now",
    "I chew on the other side now, it's easier",
    "his speech has always been a bit slow, nothing new",
    "I'm checking out of the hotel at noon",
    "no hearing test booked yet",
    # a pet's, a neighbour's or a friend's problem, now, is still not the patient's
    "my cat has a sticky red eye today",
    "our neighbour has shingles at the moment, can I still visit?",
    "a friend from work has shingles right now",
    "the dog's eye is swollen this morning, off to the vet",
    # progress: the eye stays open while smiling
    "I smiled in the mirror and my eye stayed wide open",
    "made peace with it now, the face is the face",
    "the double vision I had in March has gone completely",
    "I slurred a bit when the palsy first started, speech is clear now",
    "I'll be done by nine if the exercises go quickly",
    # a diagnosis recovered from, a result, an idiom, a sign to watch for
    "Ramsay Hunt four months ago, the smile is coming back slowly",
    "hearing test came back normal on both sides",
    "my palsy was back in January and most of the movement has returned",
    "killing myself laughing at the kids' film",
    "the nurse said to keep an eye out for blisters round the ear, there are none",
    "day 27, signing off for tonight, talk tomorrow",
    "the ear ache went weeks ago and my eye closes fully",
    "my little sister has conjunctivitis, both her eyes are red",
    "my forehead moves fine now and the mouth is slowly catching up",
    "will the sea water sting my eye if I go swimming?",
    "can stress make the palsy come back?",
    "legs like jelly after spin class, face exercises done too",
    "can I have the shingles jab while I recover?",
    "my husband's eye was gritty last week, the GP said dry weather, it's been fine since",
    "my feet have been numb from my diabetes for years",
    "my mother-in-law had a stroke last year",
    "found a photo from when I had shingles in 2015",
    "calves are jelly after a bike ride, face feels fine",
    "dust blew in my eye at the bus stop, flushed it out and it's totally fine now",
    "I'm not hanging around for another coffee, off to physio",
    "the optician said my eye is nice and white",
    "the gel still makes everything blurry first thing",
    "legs like jelly after the 5k",
    "o sorriso estava mais parecido dos dois lados",
    "the physio mentioned synkinesis, what should I look for?",
    "I'll finish things tomorrow at work",
    "the low patch is behind me, I'm out the other side now",
    "apparently a stroke usually spares the forehead",
    "my grandad had a stroke in 2015 and he's fine now",
    "my neighbour has had a mini stroke",
    "my sister has shingles on her back, can I visit?",
    "I lost my hearing aid on the bus",
    "he hurt himself at rugby on Saturday",
    "my daughter says she can't hear any difference in my voice",
    "tested my grip on a jar lid, the jar lost",
    "how do I keep grit out of my eye while cycling?",
    "I've been slapped in the face by the cold wind today",
    "grandad sat on the edge of the bath to do his exercises",
    "my whole face feels frozen in this icy wind",
    "a man in my support group says his palsy came back",
    "I feel like half of me is gone since the palsy",
    "I dreamt I'd had a stroke last night",
    "after screen work my eye feels tired, not painful or red",
    "is hearing loss something I should watch for?",
    "my mate's got shingles, can I catch it?",
    "blurry vision earlier from the gel, wiped it and it's crystal clear now",
    "my nan had a mini stroke in 2018",
    "my eye is much less gritty with the gel",
    "grandad has gone quiet since the Ramsay Hunt",
    "asking for me: what are the signs of a stroke?",
    "I can raise both eyebrows fine now and my smile is nearly even",
    "my mate's gran took her own life years ago",
    "jumped off the trampoline with the kids, bit of a head rush",
    "stood up quickly, sat on the edge of the bath and it passed",
    "I'm tired of it all being so slow",
    "my hearing test came back normal, one less thing",
    "had grit in my eye, the nurse got it out and it's fine today",
    "the rash scabbed over and healed weeks ago",
    # look-alikes of the round of 2026-11-29 (evening)
    "Gave my old winter coats to the charity shop, feeling lighter already.",
    "The vet put our old dog to sleep today and we all said goodbye to her.",
    "not sure I want to keep going with the evening massage, can we swap it?",
    "Looked up which floor the eye clinic is on.",
    "asked my son for the salt and he passed me the salt",
    "the photo came through as a blurry mess, can I resend the clip?",
    "I can't lift the heavy shopping since my shoulder op last year",
    "this palsy unalived my selfie game",
    "my legs are like jelly after the 5k, good tired",
    "tongue was numb at the dentist, wore off by lunch",
    "the ointment makes things smeary first thing, eye not red",
    "I'm booked in for my last physio session next week",
    "my leg went dead from sitting cross-legged, back to normal in a minute",
    "arms are dead after the gym, bench press day",
    "woke with a dead arm from sleeping on it, fine again after I shook it",
    "my feet have been numb for about ten years from the diabetes",
    "grip fine, no bother with the car keys",
    # look-alikes of the round four of 2026-11-29 (night)
    "No, nothing like that. I'm sad about my face, not about being alive.",
    "what's the difference between Bell's and a stroke",
    "I was worried my eye would go red again but it's been fine all week",
    "my niece has chickenpox, what would I be looking for round my ear if I caught it",
    "dropped a mug with soapy hands doing the dishes, classic me",
    "ran 10k this morning, legs like jelly now",
    "my toes have been numb for years from the diabetes",
    "the little finger has been numb ever since I broke my wrist, nothing new",
    "legs heavy after the charity walk, face the same",
    "when I say tight I mean stiff, is that synkinesis?",
    # look-alikes of round five of 2026-11-29 (night)
    "my eye narrows when I eat sandwiches",
    "signing off for tonight, talk tomorrow",
    "saw a stroke poster at the GP, what does FAST mean?",
    "my thumb has been stiff for years from arthritis, nothing new",
    "eye was red from the chlorine last week, gone now, all clear",
    # look-alikes of round seven of 2026-11-29 (night)
    "what's the best way to kill the slugs on my lettuces?",
    "numb bum and stiff legs after a six hour coach trip, walking it off now",
    "foot went dead sitting cross-legged, stamped it and it came right",
]


@pytest.mark.parametrize(("text", "kind"), FLAGGED)
def test_red_flag_is_caught(text: str, kind: str) -> None:
    kinds = [flag.kind for flag in detect_red_flags(text)]
    assert kind in kinds, f"missed {kind} in {text!r}: {kinds}"


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_ordinary_message_is_not_a_red_flag_for_the_rules(text: str, rules_only_content) -> None:
    assert detect_red_flags(text, rules_only_content) == []


def test_the_trained_net_adds_few_alarms_to_the_look_alikes() -> None:
    """The net (red_flag_net.py) reads no negation or tense; on these look-alikes, written to be
    hard, its alarms stay within the false-alarm limit of the patient-voice evaluations."""
    limit = yaml.safe_load(THRESHOLDS.read_text())["false_alarm_rate_max"]
    alarms = [text for text in NOT_FLAGGED if detect_red_flags(text)]
    assert len(alarms) <= limit * len(NOT_FLAGGED), alarms


def test_a_friend_saying_something_about_the_patient_is_the_patients() -> None:
    """Reported speech about the patient is not someone else's finding."""
    kinds = [flag.kind for flag in detect_red_flags("my friend says my eye looks very red today")]
    assert "eye_at_risk" in kinds


def test_self_harm_is_never_negated() -> None:
    """We would rather offer help once too often than miss it."""
    assert [f.kind for f in detect_red_flags("I'm not going to kill myself, I think")] == [
        "self_harm"
    ]


def test_a_limb_not_coming_back_is_a_stroke_not_a_farewell() -> None:
    text = "my leg went dead and heavy twenty minutes ago and it's not coming back"
    assert [flag.kind for flag in detect_red_flags(text)] == ["stroke"]


def test_most_urgent_flag_comes_first() -> None:
    flags = detect_red_flags("my eye hurts and I want to end my life")
    assert [f.kind for f in flags][:2] == ["self_harm", "eye_at_risk"]


def test_red_flag_inside_a_long_message() -> None:
    text = ("my face is much the same today. " * 300) + "also my arm went numb an hour ago"
    assert "stroke" in [f.kind for f in detect_red_flags(text)]


def test_negation_is_scoped_not_clause_wide() -> None:
    """A "not/no/don't" elsewhere in the sentence does not cancel the finding (NegEx scope)."""
    assert [f.kind for f in detect_red_flags("my eye hurts, not sure why")] == ["eye_at_risk"]
    assert [f.kind for f in detect_red_flags("blisters in my ear and no idea why")] == [
        "other_cause"
    ]
    assert detect_red_flags("my eye isn't sore or red btw") == []


def test_context_cancels_hypothetical_historical_and_someone_elses() -> None:
    assert detect_red_flags("If my eye becomes painful should I go to A&E?") == []
    assert detect_red_flags("last year I had shingles on my back") == []
    assert detect_red_flags("my grandmother had a stroke so I panicked") == []


def test_other_languages_are_a_safety_net() -> None:
    assert [(f.kind, f.language) for f in detect_red_flags("mi ojo no cierra y me duele")] == [
        ("eye_at_risk", "es")
    ]
    assert [f.kind for f in detect_red_flags("Ich will nicht mehr leben")] == ["self_harm"]
    # seven languages, in everyday words
    for text, kind in [
        ("mi padre no puede agarrar la taza, se le cae todo", "stroke"),
        ("digo silla y quiero decir mesa", "stroke"),
        ("je bafouille depuis ce matin", "stroke"),
        ("mein Bein knickt beim Gehen weg", "stroke"),
        ("o meu pai está a trocar as palavras", "stroke"),
        ("parole sbagliate da stamattina", "stroke"),
        ("nu hangt ook de goede kant van mijn mond", "stroke"),
        ("kręci mi się w głowie i nie mogę ustać", "stroke"),
        ("tengo algo en el ojo, me ha entrado algo en el ojo", "eye_at_risk"),
        ("non sento niente dall'orecchio e la paresi è tornata di nuovo", "other_cause"),
        ("ils seraient mieux sans moi", "self_harm"),
        ("ik denk aan een eind aan mijn leven", "self_harm"),
        ("de repente lo veo todo doble y no me tengo en pie", "stroke"),
        ("je ne tiens plus debout depuis ce matin", "stroke"),
        ("das Auge geht nicht zu und ist ganz verklebt und rot", "eye_at_risk"),
        ("não ouço quase nada deste ouvido", "other_cause"),
        ("le parole mi escono storte da un'ora", "stroke"),
        ("ze ziet het niet meer zitten", "self_harm"),
        ("nie chce mi się już żyć", "self_harm"),
        ("todo me da vueltas y veo la tele doble", "stroke"),
        ("les mots sortent tout mélangés", "stroke"),
        ("der Arm ist wie eingeschlafen und gehorcht nicht", "stroke"),
        ("vedo tutto annebbiato da quell'occhio", "eye_at_risk"),
        ("ik zie het niet meer zitten, ik wil er een eind aan maken", "self_harm"),
        ("litery się rozmazują na tym oku", "eye_at_risk"),
    ]:
        assert kind in [f.kind for f in detect_red_flags(text)], text


def test_other_languages_cancel_someone_elses_illness_but_never_self_harm() -> None:
    # any net's `unless` counts: the Italian "ictus" matches a Spanish message about a neighbour
    assert detect_red_flags("mi vecina tuvo un ictus, ¿qué signos debo vigilar?") == []
    assert detect_red_flags("Mon voisin a fait un AVC, quels signes chez moi ?") == []
    assert detect_red_flags("pas de cloques à l'oreille, juste une douleur") == []
    assert [f.kind for f in detect_red_flags("mi vecina dice que quiero morir")] == ["self_harm"]
    # a carer about a parent is not someone else's illness
    assert [f.kind for f in detect_red_flags("Mamá no puede levantar el brazo")] == ["stroke"]


def test_a_near_rule_window_ends_at_the_end_of_a_word() -> None:
    # "sand" cut out of "sandwiches" by the window's edge is not grit in the eye
    assert detect_red_flags("my eye goes narrow when I eat, mostly crisps n sandwiches") == []
    # ...and a finding that runs past the edge is still read whole
    assert [f.kind for f in detect_red_flags("my left arm has been getting this numbness")] == [
        "stroke"
    ]


def test_filler_words_are_allowed_between_the_words_of_a_rule() -> None:
    fillers = ("just", "really", "kind of")
    pattern = re.compile(allow_fillers(r"\bif i (?:wasn't|weren't) here\b", fillers))
    assert pattern.search("if i just really wasn't here")
    assert pattern.search("if i kind of wasn't here")
    assert not pattern.search("if i soon wasn't here")
    # spaces in a character class, a lookbehind, or before a quantifier are left as written
    assert allow_fillers("[^ ]x", fillers) == "[^ ]x"
    assert allow_fillers("(?<!on my )feet", fillers) == "(?<!on my )feet"
    assert allow_fillers("a ?b", fillers) == "a ?b"
    re.compile(allow_fillers(r"(?<!on my )feet (?:are|is) [a-z]+", fillers))


def test_rules_load_from_the_configured_content_folder(tmp_path, monkeypatch) -> None:
    """CONTENT_DIR is honoured: a clinic's reviewed copy of the rules is the one used."""
    import shutil

    from coach.config import PACKAGE_DIR, get_settings

    folder = tmp_path / "content"
    shutil.copytree(PACKAGE_DIR / "content", folder)
    rules = folder / "red_flags.yml"
    rules.write_text(rules.read_text().replace("'\\bsuicid\\w*'", "'\\bzorblax\\b'"))
    monkeypatch.setenv("CONTENT_DIR", str(folder))
    get_settings.cache_clear()
    try:
        assert [f.kind for f in detect_red_flags("zorblax")] == ["self_harm"]
    finally:
        get_settings.cache_clear()


def test_a_carers_report_of_someones_words_is_read_in_the_first_person() -> None:
    rules = load_rules(get_settings().content_dir)
    assert rules.in_first_person("she says she wants it all to be over") == (
        "i say i want it all to be over"
    )
    assert rules.in_first_person("he'll finish himself off") == "i'll finish myself off"
    assert detect_red_flags("Gerry says he wants it all to be over")[0].kind == "self_harm"


def test_whole_message_lookaheads_are_anchored_to_the_start() -> None:
    # A message-wide condition written as lookaheads ("(?=[\s\S]*A)(?=[\s\S]*B)") is tried from
    # every position of the message unless anchored with \A: quadratic on a 10 kB message.
    rules = load_rules(get_settings().content_dir)
    conditions = [
        condition
        for _, kind_rules in rules.english
        for rule in kind_rules
        for condition in (rule.in_message, rule.not_in_message)
        if condition is not None
    ]
    unanchored = [
        pattern.pattern[:80]
        for pattern in conditions
        if re.search(r"\(\?=(?:\.|\[\\s\\S\])\*", pattern.pattern)
        and not re.match(r"(?:\(\?:)*\\A", pattern.pattern)
    ]
    assert conditions and not unanchored


def test_a_macro_is_one_group_so_its_alternation_keeps_to_itself() -> None:
    side = expand(r"<SIDE>\b[^.]{0,20}\bflat", {"SIDE": "my good side|the other side"})
    assert side.search("the other side has gone flat")
    assert not side.search("my good side is fine")
